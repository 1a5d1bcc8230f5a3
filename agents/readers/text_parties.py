"""Seller and buyer of a text invoice: name, VAT id and address, found as blocks of lines.

A party is printed as a block: a heading ("Verkäufer", "Bill to", "Destinatario") or none, then the
name, street, post code and city. Labelled blocks are read first; without a heading the seller is the
company at the top of the first page (its name often carries a legal form: GmbH, Ltd, SARL, S.r.l.,
S.L., B.V.), and the buyer is the address block of the window envelope (a few lines ending with a post
code and city). A VAT id inside a block belongs to that party; otherwise the first VAT id outside the
buyer's block is taken as the seller's, since it is the seller who must print one.

This module reads the labelled blocks and chooses between them and the guesses; how a block's lines read is
in `_party_block`, and the guesses from the layout of the first page are in `_party_layout`.
"""

from __future__ import annotations

from agents.readers._party_block import PartyRead, block_address, column_text, name_from, standalone_labels
from agents.readers._party_layout import address_window, top_company
from agents.readers.labels import Field, normalise
from agents.readers.text_fields import vat_ids_in
from agents.readers.text_layout import Document, Hit, Row, hits_for
from schemas import Party

__all__ = ["buyer", "labelled_buyer", "seller"]

_MAX_BLOCK = 8


def _block(doc: Document, hit: Hit) -> list[tuple[Row, str]]:
    """The lines of the party block that a heading opens: same segment, then the column below."""
    row = hit.row
    x = row.x_at(hit.label.start)
    unit = row.height
    out: list[tuple[Row, str]] = []
    seg_end = next((b for a, b in row.segments() if a <= hit.label.start < b + 1), len(row.text))
    rest = row.text[hit.label.end : seg_end].strip(" :.-")
    if rest and not standalone_labels(rest):
        out.append((row, rest))
    last = row
    values: float | None = None  # where the values of "Name:  ACME GmbH" lines start: the block goes on there
    for nxt in doc.rows[row.index + 1 : row.index + 1 + _MAX_BLOCK]:
        if nxt.page != row.page or nxt.y0 - last.y1 > (1.6 if out else 3.0) * unit:
            break
        text = column_text(nxt, x, 2.5 * unit)
        if text is None and values is not None:
            text = column_text(nxt, values, 1.0 * unit)
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
    labels = standalone_labels(text)
    if not labels or labels[0].start != 0 or labels[0].field not in (Field.SELLER, Field.BUYER):
        return False
    after = text[labels[0].end :].strip()
    return not after.strip(".") or after.startswith(":")


def _read(doc: Document, hit: Hit, confidence: float) -> PartyRead | None:
    lines = _block(doc, hit)
    found = name_from(lines)
    if found is None:
        return None
    name, index = found
    vats = [v for _, text in lines for v in vat_ids_in(text.split())]
    rows = frozenset(row.index for row, _ in lines)
    party = Party(name=name, vat_id=vats[0] if vats else None, address=block_address(lines, index))
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
    return top_company(doc, buyer_rows)


def buyer(doc: Document, labelled: PartyRead | None, seller_rows: frozenset[int]) -> PartyRead | None:
    """The labelled buyer, else the address block of the window envelope."""
    return labelled if labelled is not None else address_window(doc, seller_rows)
