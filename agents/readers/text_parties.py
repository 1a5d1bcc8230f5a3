"""Seller and buyer of a text invoice: name, VAT id and address, found as blocks of lines.

A party is printed as a block: a heading ("Verkäufer", "Bill to", "Destinatario") or none, then the
name, street, post code and city. Labelled blocks are read first; without a heading the seller is the
company at the top of the first page (its name often carries a legal form: GmbH, Ltd, SARL, S.r.l.,
S.L., B.V.), and the buyer is the address block of the window envelope (a few lines ending with a post
code and city). A VAT id inside a block belongs to that party; otherwise the first VAT id outside the
buyer's block is taken as the seller's, since it is the seller who must print one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.readers.classify import classify_text
from agents.readers.labels import Field, LabelHit, find_labels, normalise
from agents.readers.text_fields import vat_ids_in
from agents.readers.text_layout import Document, Hit, Row, hits_for
from schemas import Address, DocType, Party

_LEGAL_FORM = re.compile(
    r"(?<![A-Za-z])(?:GmbH|AG|KG|OG|OHG|UG|GbR|KGaA|e\.\s?K\.|e\.\s?V\.|a\.\s?G\.|SE|Ltd\.?|Limited|LLC|LLP"
    r"|Inc\.?|PLC|plc|Corp\.?|DAC|Teoranta|S\.?A\.?R\.?L\.?|SARL|SAS|S\.A\.S\.?|SA|S\.A\.|SNC|EURL|SCI"
    r"|S\.r\.l\.|Srl|SRL|S\.p\.A\.|SpA|S\.n\.c\.|S\.a\.s\.|S\.L\.U?\.?|SL|S\.Coop\.?|B\.V\.|BV|N\.V\.|NV"
    r"|V\.O\.F\.|VOF|CV|Sàrl|Co\.|Sp\.\s?z\s?o\.\s?o\.|Sp\.\s?k\.|S\.A\.|a\.s\.|s\.r\.o\.|Oy|Oyj|AB|HB|KB"
    r"|A/S|ApS|AS|ASA|Lda\.?|Kft\.?|Zrt\.?|Nyrt\.?|d\.o\.o\.|d\.d\.|SIA|UAB|OÜ|AS|EOOD|OOD|AD)(?![A-Za-z])"
)
_POSTCODE_CITY = re.compile(
    r"(?:^|\s)(?:(?P<cc>[A-Z]{1,2})[- ]?)?"
    r"(?P<pc>\d{2}-\d{3}|\d{4}-\d{3}|\d{3}\s\d{2}|\d{4}\s?[A-Z]{2}|[A-Z]\d{2}\s?[A-Z0-9]{4}"
    r"|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|\d{4,5})"
    r"\s+(?P<city>[A-ZÄÖÜÉÈÀÅØÆŁŚŻ][\w'’\-. ]+)$"
)
_SEPARATED = re.compile(r"\s+[·•|–]\s+")
_SALUTATION = re.compile(r"^(?:herrn?|frau|firma|mr\.?|mrs\.?|ms\.?|m\.|mme|monsieur|madame|sig\.?|sig\.ra"
                         r"|sr\.?|sra\.?|dhr\.?|mevr\.?|attn:?|z\.\s?hd\.?)$", re.IGNORECASE)
_KEY = re.compile(r"^(?:name|firma|company|nom|raison sociale|nome|ragione sociale|nombre|razón social"
                  r"|naam|bedrijf)\s*:\s*", re.IGNORECASE)
_ID_FIELDS = {Field.OTHER_ID, Field.VAT_ID, Field.IBAN, Field.BIC, Field.INVOICE_NUMBER, Field.ISSUE_DATE,
              Field.OTHER_DATE, Field.CURRENCY, Field.ORDER_REFERENCE, Field.DUE_DATE}
_MAX_BLOCK = 8
# labels that mean something only before an amount: "Discount", "Freight" may be part of a company name
_AMOUNT_ONLY = {Field.ALLOWANCE, Field.CHARGE, Field.LINE_TOTAL}


def _labels(text: str) -> tuple[LabelHit, ...]:
    """The labels of a line that can stand without an amount."""
    return tuple(h for h in find_labels(text) if h.field not in _AMOUNT_ONLY)


@dataclass(frozen=True, slots=True)
class PartyRead:
    """One party as read, the rows of its block, and the confidence in its name."""

    party: Party
    name_confidence: float
    rows: frozenset[int]
    labelled: bool = False  # read under a heading ("Seller", "Bill to"), not guessed from the layout


def _column_text(row: Row, x: float, tol: float) -> str | None:
    """The segment of a row that starts near x; a "Key:" segment brings the segment after it."""
    segments = row.segments()
    for i, (a, b) in enumerate(segments):
        if abs(row.x_at(a) - x) <= tol:
            text = row.text[a:b].strip()
            if text.endswith(":") and i + 1 < len(segments):
                text += " " + row.text[segments[i + 1][0] : segments[i + 1][1]].strip()
            return text
    return None


def _block(doc: Document, hit: Hit) -> list[tuple[Row, str]]:
    """The lines of the party block that a heading opens: same segment, then the column below."""
    row = hit.row
    x = row.x_at(hit.label.start)
    unit = row.height
    out: list[tuple[Row, str]] = []
    seg_end = next((b for a, b in row.segments() if a <= hit.label.start < b + 1), len(row.text))
    rest = row.text[hit.label.end : seg_end].strip(" :.-")
    if rest and not _labels(rest):
        out.append((row, rest))
    last = row
    values: float | None = None  # where the values of "Name:  ACME GmbH" lines start: the block goes on there
    for nxt in doc.rows[row.index + 1 : row.index + 1 + _MAX_BLOCK]:
        if nxt.page != row.page or nxt.y0 - last.y1 > (1.6 if out else 3.0) * unit:
            break
        text = _column_text(nxt, x, 2.5 * unit)
        if text is None and values is not None:
            text = _column_text(nxt, values, 1.0 * unit)
        if text is None:
            if out:
                break
            continue
        if _heading_text(text):
            break
        values = _value_x(nxt, x, 2.5 * unit) or values
        out.append((nxt, text))
        last = nxt
    return out


def _value_x(row: Row, x: float, tol: float) -> float | None:
    """Where the value of a "Key:" segment starting near x begins, if the row is such a line."""
    segments = row.segments()
    for i, (a, b) in enumerate(segments[:-1]):
        if abs(row.x_at(a) - x) <= tol and row.text[a:b].strip().endswith(":"):
            return row.x_at(segments[i + 1][0])
    return None


def _heading_text(text: str) -> bool:
    """Whether a line is a party heading on its own ("Käufer:", "Bill to")."""
    labels = _labels(text)
    if not labels or labels[0].start != 0 or labels[0].field not in (Field.SELLER, Field.BUYER):
        return False
    after = text[labels[0].end :].strip()
    return not after.strip(".") or after.startswith(":")


def _is_id_line(text: str) -> bool:
    labels = _labels(text)
    if labels and labels[0].start <= 1 and labels[0].field in _ID_FIELDS:
        return True
    letters = sum(c.isalpha() for c in text)
    return letters < 3 or sum(c.isdigit() for c in text) > letters


def _name_from(lines: list[tuple[Row, str]]) -> tuple[str, int] | None:
    """The party name in a block: the first line that is not an id line, with a salutation joined."""
    for i, (_, raw) in enumerate(lines):
        text = " ".join(_KEY.sub("", raw).split())
        if not text or _is_id_line(text) or _POSTCODE_CITY.search(text):
            continue
        nxt = " ".join(_KEY.sub("", lines[i + 1][1]).split()) if i + 1 < len(lines) else ""
        if nxt and _SALUTATION.match(text):
            return f"{text} {nxt}", i
        if nxt and _continues_name(text, nxt):
            return f"{text} {nxt}", i + 1
        return text, i
    return None


def _continues_name(first: str, second: str) -> bool:
    """A name broken over two lines: the legal form sits on the second, which has no digits."""
    return (
        not _LEGAL_FORM.search(first)
        and not _labels(first)
        and bool(_LEGAL_FORM.search(second))
        and not any(c.isdigit() for c in second)
        and not _labels(second)
    )


def _address(lines: list[tuple[Row, str]], name_index: int) -> Address | None:
    street: list[str] = []
    for _, text in lines[name_index + 1 :]:
        m = _POSTCODE_CITY.search(text)
        if m is not None:
            country = m.group("cc") if m.group("cc") and len(m.group("cc")) == 2 else None
            return Address(lines=tuple(street[:3]), city=m.group("city").strip(), postal_code=m.group("pc"),
                           country=country)
        if not _is_id_line(text) or any(c.isalpha() for c in text):
            street.append(text)
    return None


def _read(doc: Document, hit: Hit, confidence: float) -> PartyRead | None:
    lines = _block(doc, hit)
    found = _name_from(lines)
    if found is None:
        return None
    name, index = found
    vats = [v for _, text in lines for v in vat_ids_in(text.split())]
    rows = frozenset(row.index for row, _ in lines)
    party = Party(name=name, vat_id=vats[0] if vats else None, address=_address(lines, index))
    return PartyRead(party, confidence, rows, labelled=True)


def _buyer_rank(hit: Hit) -> int:
    phrase = normalise(hit.label.phrase)
    if any(k in phrase for k in ("ship", "deliver", "waren", "liefer", "livre", "ontvanger")):
        return 2
    if phrase in {"kunde", "customer", "client", "cliente", "klant", "recipient", "empfanger"}:
        return 1
    return 0


def _is_heading(hit: Hit) -> bool:
    """A party label heads a block: it fills its segment, or a ':' follows it."""
    row = hit.row
    segment = next(((a, b) for a, b in row.segments() if a <= hit.label.start < b), None)
    if segment is None or hit.below > 1:
        return False
    before = row.text[segment[0] : hit.label.start].strip()
    after = row.text[hit.label.end : segment[1]].strip()
    return not before and (not after.strip(".") or after.startswith(":"))


def labelled_buyer(doc: Document) -> PartyRead | None:
    """The buyer under its heading: bill-to before customer before ship-to."""
    headings = (h for h in hits_for(doc, Field.BUYER) if _is_heading(h))
    hits = sorted(headings, key=lambda h: (_buyer_rank(h), h.row.index))
    for hit in hits:
        read = _read(doc, hit, 0.85 if _buyer_rank(hit) < 2 else 0.6)
        if read is not None:
            return read
    return None


def seller(doc: Document, buyer_rows: frozenset[int]) -> PartyRead | None:
    """The seller from its heading, else the company at the top of the first page."""
    for hit in hits_for(doc, Field.SELLER):
        if not _is_heading(hit) or hit.row.index in buyer_rows:
            continue
        read = _read(doc, hit, 0.85)
        if read is not None:
            return read
    return _top_company(doc, buyer_rows)


def buyer(doc: Document, labelled: PartyRead | None, seller_rows: frozenset[int]) -> PartyRead | None:
    """The labelled buyer, else the address block of the window envelope."""
    return labelled if labelled is not None else _address_window(doc, seller_rows)


def _first_part(text: str) -> str:
    """ "ACME SARL · 1 rue X · 75001 Paris" -> "ACME SARL": a one-line letterhead."""
    return _SEPARATED.split(" ".join(text.split()))[0]


def _top_company(doc: Document, exclude: frozenset[int]) -> PartyRead | None:
    """The first company name (with a legal form) at the top of page one, else its largest top line."""
    rows = [r for r in doc.page_rows(0)[:14] if r.index not in exclude]
    plain: list[tuple[float, Row, str]] = []
    for i, row in enumerate(rows):
        for a, b in row.segments():
            text = _first_part(row.text[a:b])
            if _is_id_line(text) or _labels(text) or _is_title(text) or _POSTCODE_CITY.search(text):
                continue
            if not _LEGAL_FORM.search(text):
                if i < 6 and len(text) > 3 and not any(c.isdigit() for c in text):  # not a street
                    plain.append((max(w.y1 - w.y0 for w in row.words_in(a, b)), row, text))
                continue
            used = {row.index}
            prev = rows[i - 1] if i else None
            if prev is not None and row.y0 - prev.y1 < 0.5 * row.height:
                above = _column_text(prev, row.x_at(a), row.height)
                if above and _continues_name(above, text):
                    text = f"{' '.join(above.split())} {text}"
                    used.add(prev.index)
            return PartyRead(Party(name=text), 0.6, frozenset(used))
    if plain:
        _, row, text = max(plain, key=lambda p: p[0])
        return PartyRead(Party(name=text), 0.4, frozenset({row.index}))
    return None


def _is_title(text: str) -> bool:
    """A document title on its own ("INVOICE", "Fattura", "Rechnung 123"): not a party."""
    if len(text.split()) > 3:
        return False
    doc_type, confidence = classify_text(text)
    return confidence >= 0.35 and doc_type not in (DocType.OTHER, DocType.UNKNOWN)


def _address_window(doc: Document, exclude: frozenset[int]) -> PartyRead | None:
    """Lines above a post code and city, on the first page's upper half, in one column."""
    rows = [r for r in doc.page_rows(0) if r.index not in exclude]
    if not rows:
        return None
    bottom = rows[0].y0 + 0.5 * (max(r.y1 for r in rows) - rows[0].y0)
    for end, row in enumerate(rows):
        if row.y0 > bottom:
            break
        for a, b in row.segments():
            if _SEPARATED.search(row.text[a:b]) or not _POSTCODE_CITY.search(row.text[a:b].strip()):
                continue
            block = _column_above(rows[: end + 1], row.x_at(a), row.height)
            found = _name_from(block) if len(block) >= 2 else None
            if found is not None:
                vat = _block_vat(rows, end, row.x_at(a))
                party = Party(name=found[0], vat_id=vat[0] if vat else None, address=_address(block, found[1]))
                used = {r.index for r, _ in block} | ({vat[1]} if vat else set())
                return PartyRead(party, 0.5, frozenset(used))
    return None


def _column_above(rows: list[Row], x: float, unit: float) -> list[tuple[Row, str]]:
    """Lines in the column at x, walking up from the last row while they stay close together."""
    block: list[tuple[Row, str]] = []
    for prev in reversed(rows[-8:]):
        if block and block[0][0].y0 - prev.y1 > 1.2 * unit:
            break
        text = _column_text(prev, x, 2.0 * unit)
        if text is None:
            continue
        if _labels(text) or _SEPARATED.search(text):
            break
        block.insert(0, (prev, text))
    return block


def _block_vat(rows: list[Row], end: int, x: float) -> tuple[str, int] | None:
    """A VAT id printed just under an address block, in its column, and its row."""
    for row in rows[end + 1 : end + 3]:
        text = _column_text(row, x, 2.0 * row.height)
        found = vat_ids_in(text.split()) if text else []
        if found:
            return found[0], row.index
    return None
