"""A party without a heading, guessed from where it sits on the first page.

The seller is the company at the top of page one: the first line with a legal form (GmbH, Ltd, SARL, B.V.),
else the largest plain line there. The buyer is the address block of the window envelope: a few lines in one
column ending with a post code and city, on the upper half of the page, with a VAT id printed just under it
counted as the buyer's. Guesses carry a lower name confidence than a party read under its heading.
"""

from __future__ import annotations

import re

from agents.readers._party_block import (
    LEGAL_FORM,
    POSTCODE_CITY,
    PartyRead,
    after_key,
    block_address,
    column_text,
    continues_name,
    is_bank,
    is_id_line,
    name_from,
    standalone_labels,
)
from agents.readers.classify import classify_text
from agents.readers.text_fields import vat_ids_in
from agents.readers.text_layout import Document, Row
from schemas import DocType, Party

__all__ = ["address_window", "top_company"]

_SEPARATED = re.compile(r"\s+[·•|–]\s+")


def top_company(doc: Document, exclude: frozenset[int]) -> PartyRead | None:
    """The first company name (with a legal form) at the top of page one, else its largest top line."""
    rows = [r for r in doc.page_rows(0)[:14] if r.index not in exclude]
    plain: list[tuple[float, Row, str]] = []
    for i, row in enumerate(rows):
        for a, b in row.segments():
            raw = _SEPARATED.split(" ".join(row.text[a:b].split()))[0]
            text = after_key(raw)  # "Payable to: ACME GmbH"; a labelled key ("Kunde: ...") is skipped below
            if (is_id_line(text) or standalone_labels(raw) or _is_title(text) or POSTCODE_CITY.search(text)
                    or is_bank(text)):
                continue
            if not LEGAL_FORM.search(text):
                if i < 6 and len(text) > 3 and not any(c.isdigit() for c in text):  # not a street
                    plain.append((max(w.y1 - w.y0 for w in row.words_in(a, b)), row, text))
                continue
            text = _without_title(text)
            used = {row.index}
            if _sender_line(row.text[a:b], row, rows[i + 1 : i + 4], row.x_at(a)):
                return PartyRead(Party(name=text), 0.85, frozenset(used))
            prev = rows[i - 1] if i else None
            if prev is not None and row.y0 - prev.y1 < 0.5 * row.height:
                above = column_text(prev, row.x_at(a), row.height)
                if above and continues_name(above, text):
                    text = f"{' '.join(above.split())} {text}"
                    used.add(prev.index)
            return PartyRead(Party(name=text), 0.6, frozenset(used))
    if plain:
        _, row, text = max(plain, key=lambda p: p[0])
        return PartyRead(Party(name=text), 0.4, frozenset({row.index}))
    return None


def _sender_line(text: str, row: Row, below: list[Row], x: float) -> bool:
    """A return-address line ("ACME GmbH · Street 1 · 12345 Town") right above the window: the sender.

    The post code and city make it an address, not a slogan; the address block starting just under it, in
    its column and in larger type, makes it the line printed above the window of a letter (DIN 5008)."""
    parts = _SEPARATED.split(" ".join(text.split()))
    if len(parts) < 2 or not any(POSTCODE_CITY.search(p) for p in parts[1:]):
        return False
    nxt = next((r for r in below if column_text(r, x, 2.0 * r.height) is not None), None)  # rows beside pass
    return nxt is not None and nxt.y0 - row.y1 < 2.5 * nxt.height and nxt.height > 1.2 * row.height


def _without_title(text: str) -> str:
    """A name with the document's title run into it ("ACME GMBH Rechnung", set too close to tell apart): the name."""
    forms = list(LEGAL_FORM.finditer(text))
    tail = text[forms[-1].end() :].strip() if forms else ""
    return text[: forms[-1].end()].strip() if tail and _is_title(tail) else text


def _is_title(text: str) -> bool:
    """A document title on its own ("INVOICE", "Fattura", "Rechnung 123"): not a party."""
    if len(text.split()) > 3:
        return False
    doc_type, confidence = classify_text(text)
    return confidence >= 0.35 and doc_type not in (DocType.OTHER, DocType.UNKNOWN)


def address_window(doc: Document, exclude: frozenset[int]) -> PartyRead | None:
    """Lines above a post code and city, on the first page's upper half, in one column."""
    rows = [r for r in doc.page_rows(0) if r.index not in exclude]
    if not rows:
        return None
    bottom = rows[0].y0 + 0.5 * (max(r.y1 for r in rows) - rows[0].y0)
    for end, row in enumerate(rows):
        if row.y0 > bottom:
            break
        for a, b in row.segments():
            if _SEPARATED.search(row.text[a:b]) or not POSTCODE_CITY.search(row.text[a:b].strip()):
                continue
            block = _column_above(rows[: end + 1], row.x_at(a), row.height)
            found = name_from(block) if len(block) >= 2 else None
            if found is not None:
                vat = _block_vat(rows, end, row.x_at(a))
                party = Party(name=found[0], vat_id=vat[0] if vat else None, address=block_address(block, found[1]))
                used = {r.index for r, _ in block} | ({vat[1]} if vat else set())
                return PartyRead(party, 0.5, frozenset(used))
    return None


def _column_above(rows: list[Row], x: float, unit: float) -> list[tuple[Row, str]]:
    """Lines in the column at x, walking up from the last row while they stay close together."""
    block: list[tuple[Row, str]] = []
    for prev in reversed(rows[-8:]):
        if block and block[0][0].y0 - prev.y1 > 1.2 * unit:
            break
        text = column_text(prev, x, 2.0 * unit)
        if text is None:
            continue
        if standalone_labels(text) or _SEPARATED.search(text):
            break
        block.insert(0, (prev, text))
    return block


def _block_vat(rows: list[Row], end: int, x: float) -> tuple[str, int] | None:
    """A VAT id printed just under an address block, in its column, and its row."""
    for row in rows[end + 1 : end + 3]:
        text = column_text(row, x, 2.0 * row.height)
        found = vat_ids_in(text.split()) if text else []
        if found:
            return found[0], row.index
    return None
