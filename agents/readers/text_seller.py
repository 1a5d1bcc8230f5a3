"""The seller's identity in a text invoice: its VAT id, and how sure its name is.

The company at the top of page one is usually the seller, but a letterhead may be an image, and then the
first company on the page is the buyer in the address window. A seller signs its invoice more than once:
its name comes back in the footer or the legal line, in the return-address line above the window, beside
its VAT id or bank account, while the buyer's name does not come back there. So a name read from the layout
alone stays at a medium confidence, and each independent place that repeats it or ties it to the seller's
identifiers raises it; a name read under a "Seller" heading starts higher and needs one such tie to be sure.
The seller's VAT id is the one in its block, else a labelled one outside the buyer's block, surer when the
document prints it twice (header and footer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.readers._party_block import PartyRead
from agents.readers.labels import Field, normalise
from agents.readers.text_fields import Pick, ibans, vat_ids, vat_ids_in
from agents.readers.text_layout import Document, Row, hits_for

__all__ = ["seller_name_confidence", "seller_vat"]

_FOOTER_SHARE = 0.8  # rows below this share of a page's text height are its footer
_NEAR = 3  # rows apart that still belong to one block
_SEPARATORS = re.compile(r"\s[·•|]\s")
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
    if pattern is None:
        return read.name_confidence
    banks = [p.row for p in ibans(doc) if p.row is not None and p.row.index not in buyer_rows]
    ids = [r for r in doc.rows if r.index not in buyer_rows and vat_ids(r)] + banks
    if read.labelled:
        # under a seller heading, a VAT id or IBAN in the block is the seller's own
        in_block = any(r.index in read.rows for r in ids)
    else:
        # a guessed block may be the buyer's, VAT id included: only the payee's bank account vouches for it
        own = [r for r in doc.rows if r.index in read.rows]
        in_block = any(_near(r, own) for r in banks)
    repeats = [
        r for r in doc.rows
        if r.index not in read.rows and r.index not in buyer_rows and pattern.search(normalise(r.text))
    ]
    signed = [r for r in repeats if _in_footer(doc, r) or _SEPARATORS.search(r.text) or _near(r, ids)]
    if read.labelled:
        return 0.95 if in_block or signed else read.name_confidence
    tied = in_block or any(_near(r, ids) for r in signed)
    if read.name_confidence < 0.6:  # the largest line, no legal form: a slogan or a brand is possible
        return (0.85 if tied else 0.8) if signed else read.name_confidence
    if signed:
        return 0.95 if tied else 0.9
    return 0.85 if in_block else read.name_confidence


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
