"""The seller's identity in a text invoice: its VAT id, and how sure its name is.

The company at the top of page one is usually the seller, but a letterhead may be an image, and then the
first company on the page is the buyer in the address window. A seller signs its invoice more than once:
its name comes back in the footer or the legal line, in the return-address line above the window, beside
its VAT id or bank account, while the buyer's name does not come back there. So a name read from the layout
alone stays at a medium confidence, and each independent place that repeats it or ties it to the seller's
identifiers raises it; a name read under a "Seller" heading starts higher and needs one such tie to be sure.
The seller's VAT id is the one in its block, else a labelled one outside the buyer's block, surer when the
document prints it twice (header and footer).

Where the top of the page names no company the document ties to the seller, the seller is found where it
signs (`signed_company`): a company name (with its legal form) in the footer or beside the IBAN or VAT id it
prints, since the bank account and the VAT id on an invoice are the seller's and the buyer's name is never
printed beside them. A letterhead in capitals ("ACME GMBH") takes the spelling the document prints elsewhere.
An e-mail or web address printed outside the buyer's block that spells a name (info@northwindtrading.co.uk)
ties that name to the seller too, since a buyer's own address stands in its block if anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.readers._party_block import (
    LEGAL_FORM,
    POSTCODE_CITY,
    PartyRead,
    after_key,
    column_text,
    is_bank,
    is_id_line,
    standalone_labels,
)
from agents.readers.labels import Field, normalise
from agents.readers.text_fields import Pick, ibans, vat_ids, vat_ids_in
from agents.readers.text_layout import Document, Row, hits_for
from schemas import Party

__all__ = ["seller_name_confidence", "seller_vat", "signed_company", "spelled", "web_tie"]

_FOOTER_SHARE = 0.8  # rows below this share of a page's text height are its footer
_NEAR = 3  # rows apart that still belong to one block
_SEPARATORS = re.compile(r"\s[·•|]\s")
_PARTS = re.compile(r"\s+[·•|–]\s+")  # "ACME SARL · 1 rue X · 75001 Paris": the name is the first part

_MIN_NAME = 4


def _pattern(name: str) -> re.Pattern[str] | None:
    words = normalise(name).split()
    if len("".join(words)) < _MIN_NAME:
        return None
    body = r"\s+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![a-z0-9]){body}(?![a-z0-9])")


def _in_footer(doc: Document, row: Row) -> bool:
    page = doc.page_rows(row.page)
    top, bottom = page[0].y0, max(r.y1 for r in page)
    return row.y0 >= top + _FOOTER_SHARE * (bottom - top)


def _near(row: Row, others: Iterable[Row]) -> bool:
    return any(o.page == row.page and abs(o.index - row.index) <= _NEAR for o in others)


def seller_name_confidence(doc: Document, read: PartyRead, buyer_rows: frozenset[int]) -> float:
    """The confidence of the seller's name, from the corroboration the document gives it.

    Args:
        doc: The document's rows and label hits.
        read: The seller as read (labelled block or top of page one) and the rows of its block.
        buyer_rows: Rows of the buyer's block, where nothing vouches for the seller.

    Returns:
        0.95 when the name is tied to the seller's identity twice (or once under a seller heading), 0.9
        when it comes back in the footer or letterhead, 0.85 when its own block holds an IBAN, else what
        the layout alone gave it; a name without a legal form stays at 0.85 at most.
    """
    pattern = _pattern(read.party.name or "")
    if pattern is None or read.contested:
        return read.name_confidence
    banks = [p.row for p in ibans(doc) if p.row is not None and p.row.index not in buyer_rows]
    ids = [r for r in doc.rows if r.index not in buyer_rows and vat_ids(r)] + banks
    if read.labelled:
        # under a seller heading, a VAT id or IBAN in the block is the seller's own
        in_block = any(r.index in read.rows for r in ids)
    else:
        # a guessed block may be the buyer's, VAT id included: only the payee's bank account vouches for it
        own = [r for r in doc.rows if r.index in read.rows]
        in_block = any(_near(r, own) for r in banks) or _account_below(doc, read)
    repeats = [
        r for r in doc.rows
        if r.index not in read.rows and r.index not in buyer_rows and pattern.search(normalise(r.text))
    ]
    signed = [r for r in repeats if _in_footer(doc, r) or _SEPARATORS.search(r.text) or _near(r, ids)]
    web = web_tie(doc, read.party.name or "", buyer_rows)  # the seller's own e-mail or web address spells it
    if read.labelled:
        return 0.95 if in_block or signed or web else read.name_confidence
    if web and not signed:
        return 0.85 if read.name_confidence < 0.6 else 0.9
    tied = in_block or web or any(_near(r, ids) for r in signed)
    if read.name_confidence < 0.6:  # the largest line, no legal form: a slogan or a brand is possible
        return (0.85 if tied else 0.8) if signed else read.name_confidence
    if signed:
        return 0.95 if tied else 0.9
    return 0.85 if in_block else read.name_confidence


_ADDRESS = re.compile(r"[\w.+-]+@(?P<mail>[\w-]+(?:\.[\w-]+)+)|(?<![\w.@/])(?:https?://)?www\.(?P<web>[\w-]+(?:\.[\w-]+)+)",
                      re.IGNORECASE)
_MIN_DOMAIN = 5  # "acme" may be anything's; "northwind" names one company


def _squashed(text: str) -> str:
    return "".join(c for c in normalise(text) if c.isalnum())


def web_tie(doc: Document, name: str, exclude: frozenset[int]) -> bool:
    """Whether an e-mail or web address printed outside the buyer's block spells the name ("Northwind Trading
    Ltd" and info@northwindtrading.co.uk): the seller prints its own addresses, a buyer's is in its block.

    Args:
        doc: The document's rows.
        name: A company name, its legal form ignored.
        exclude: Rows of the buyer's (and ship-to) blocks.
    """
    key = _squashed(LEGAL_FORM.sub(" ", name))
    if len(key) < _MIN_DOMAIN:
        return False
    for row in doc.rows:
        if row.index in exclude or ("@" not in row.text and "www" not in row.text.lower()):
            continue
        for m in _ADDRESS.finditer(row.text):
            host = (m.group("mail") or m.group("web")).split(".")[:-1]  # the top-level domain names no one
            label = _squashed(max(host, key=len)) if host else ""
            if len(label) >= _MIN_DOMAIN and (label in key or key.startswith(label) or key in label):
                return True
    return False


def _account_below(doc: Document, read: PartyRead) -> bool:
    """Whether the name heads a column (a sidebar, a letterhead block) that goes on down to an IBAN: the text
    of its column, not whole rows, since a buyer's block may stand beside it on the same rows."""
    name = read.party.name or ""
    rows = [r for r in doc.rows if r.index in read.rows and name[:8] in r.text]
    if not rows:
        return False
    first = rows[0]
    x, unit, last = first.x_at(first.text.find(name[:8])), first.height, first
    for row in doc.rows[first.index + 1 : first.index + 12]:
        if row.page != first.page or row.y0 - last.y1 > 3.0 * unit:
            break
        text = column_text(row, x, 1.0 * unit)
        if text is None:
            continue
        if _IBAN_TEXT.search(text.replace(" ", "").upper()) and any(
                p.row is not None and p.row.index == row.index for p in ibans(doc)):
            return True
        last = row
    return False


_IBAN_TEXT = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")


def _first_vat(doc: Document, exclude: frozenset[int]) -> str | None:
    for row in doc.rows:
        if row.index not in exclude:
            found = vat_ids(row)
            if found:
                return found[0]
    return None


def seller_vat(doc: Document, read: PartyRead | None, buyer_rows: frozenset[int]) -> Pick[str] | None:
    """The seller's VAT id: in its block, else the first one outside the buyer's block."""
    if read is not None and read.party.vat_id:
        return Pick(read.party.vat_id, 0.9)
    labelled = [h for h in hits_for(doc, Field.VAT_ID) if h.row.index not in buyer_rows]
    for hit in labelled:
        found = vat_ids_in(hit.value.split()) or vat_ids(hit.row)
        if found:
            # printed twice outside the buyer's block (header and footer): the seller's own
            again = sum(found[0] in vat_ids(r) for r in doc.rows if r.index not in buyer_rows) > 1
            return Pick(found[0], 0.9 if again else 0.8, hit.row)
    value = _first_vat(doc, buyer_rows)
    return Pick(value, 0.6) if value else None


def signed_company(doc: Document, exclude: frozenset[int]) -> PartyRead | None:
    """The company that signs the document: a name with a legal form in a footer, beside the IBAN the document
    prints outside the buyer's block, or heading a column that goes down to it (a bank's own name is not
    one), closest to an IBAN first. A VAT id alone does not sign: buyers print theirs too.

    Args:
        doc: The document's rows and label hits.
        exclude: Rows of the buyer's (and ship-to) blocks.

    Returns:
        The name and its row at a confidence of 0.85, or None when nothing signs the document.
    """
    banks = [p.row for p in ibans(doc) if p.row is not None and p.row.index not in exclude]
    best: tuple[int, Row, str] | None = None
    for row in doc.rows:
        if row.index in exclude:
            continue
        near_bank = min((abs(b.index - row.index) for b in banks if b.page == row.page), default=99)
        footer = _in_footer(doc, row)
        for a, b in row.segments():
            raw = _PARTS.split(" ".join(row.text[a:b].split()))[0]
            text = after_key(raw)  # "Payable to: ACME GmbH", but never a name under a label ("Kunde: ...")
            if not _company(text) or standalone_labels(raw):
                continue
            rank = near_bank if near_bank <= _NEAR else _NEAR + 1
            if rank > _NEAR and _account_below(doc, PartyRead(Party(name=text), 0.0, frozenset({row.index}))):
                rank = _NEAR  # the name heads a column that goes down to the IBAN (a payment page, a sidebar)
            elif rank > _NEAR and not footer:
                continue
            if best is None or rank < best[0]:
                best = (rank, row, text)
    if best is None:
        return None
    return PartyRead(Party(name=best[2]), 0.85, frozenset({best[1].index}))


def _company(text: str) -> bool:
    """A company's name: a legal form, no label, not an id, street or post code line, not a bank."""
    return (bool(LEGAL_FORM.search(text)) and not is_id_line(text) and not standalone_labels(text)
            and not POSTCODE_CITY.search(text) and not is_bank(text) and not text.endswith(":"))


def spelled(doc: Document, name: str) -> str:
    """A name printed in capitals ("ACME GMBH") as the document spells it elsewhere ("Acme GmbH"), if it does."""
    if not name.isupper():
        return name
    pattern = _pattern(name)
    if pattern is None:
        return name
    for row in doc.rows:
        m = pattern.search(normalise(row.text))
        if m is not None and not row.text[m.start() : m.end()].isupper():
            return row.text[m.start() : m.end()]
    return name
