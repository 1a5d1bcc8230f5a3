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

from dataclasses import replace

from agents.readers._party_block import PartyRead, block_address, column_text, name_from, standalone_labels
from agents.readers._party_layout import address_window, top_company
from agents.readers.labels import Field, normalise
from agents.readers.text_fields import vat_ids_in
from agents.readers.text_layout import Document, Hit, Row, hits_for
from agents.readers.text_seller import seller_name_confidence, signed_company, spelled, web_tie
from schemas import Party

__all__ = ["buyer", "buyer_blocks", "labelled_buyer", "seller"]

_MAX_BLOCK = 8
_LETTERHEAD_ROWS = 2  # the first rows of page one: a company block there is a letterhead, not a window
_SHIP_TO_CONFIDENCE = 0.6  # a buyer read under a ship-to heading: where the goods go, maybe not who pays
# a heading with one of these names where goods go, not who pays: ship-to, Lieferadresse, adresse de livraison
_SHIP_WORDS = ("ship", "deliver", "waren", "liefer", "livre", "livraison", "ontvanger", "consegn", "destinazione",
               "entrega", "envi", "lever", "bezorg")


def _block(doc: Document, hit: Hit) -> list[tuple[Row, str]]:
    """The lines of the party block that a heading opens: same segment, then the column below."""
    row = hit.row
    x = row.x_at(hit.label.start)
    unit = row.height
    out: list[tuple[Row, str]] = []
    seg_end = next((b for a, b in row.segments() if a <= hit.label.start < b + 1), len(row.text))
    rest = row.text[hit.label.end : seg_end].lstrip(" :.-").rstrip(" :-")  # "Bill to: ACME S.L." keeps its dot
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
    if any(k in phrase for k in _SHIP_WORDS):
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
        read = _read(doc, hit, 0.85 if _buyer_rank(hit) < 2 else _SHIP_TO_CONFIDENCE)
        if read is not None:
            return read
    return None


def buyer_blocks(doc: Document) -> frozenset[int]:
    """The rows of every block under a buyer heading: bill-to, customer and ship-to alike (none is the seller)."""
    rows: set[int] = set()
    for hit in hits_for(doc, Field.BUYER):
        if _is_heading(hit):
            rows.add(hit.row.index)
            rows.update(row.index for row, _ in _block(doc, hit))
    return frozenset(rows)


def seller(doc: Document, buyer_rows: frozenset[int]) -> PartyRead | None:
    """The seller from its heading, else the company at the top of the first page, unless the document does
    not tie that one to the seller and signs with another (in its footer, beside its bank account or VAT id).

    Args:
        doc: The document's rows and label hits.
        buyer_rows: Rows of the buyer's block, where the seller is not (nor in any ship-to block).
    """
    for hit in hits_for(doc, Field.SELLER):
        if not _is_heading(hit) or hit.row.index in buyer_rows:
            continue
        read = _read(doc, hit, 0.85)
        if read is not None:
            return read
    labelled_rows = buyer_rows
    buyer_rows = buyer_rows | buyer_blocks(doc)
    top = top_company(doc, buyer_rows)
    signed = signed_company(doc, buyer_rows)
    if top is not None and top.party.name:
        top = replace(top, party=top.party.model_copy(update={"name": spelled(doc, top.party.name)}))
    if signed is None or signed.party.name is None:
        return top
    if top is None or top.name_confidence < 0.6:  # no company at the top: a brand, a slogan, a heading
        return signed
    if normalise(top.party.name or "") == normalise(signed.party.name) or seller_name_confidence(
            doc, top, buyer_rows) >= 0.9:
        return top  # the top company is the one that signs, or the document ties it to the seller otherwise
    if web_tie(doc, signed.party.name, buyer_rows) and not web_tie(doc, top.party.name or "", buyer_rows):
        return replace(signed, name_confidence=0.9)  # the one that signs is the one its e-mail or web address spells
    window = address_window(doc, signed.rows)
    if not labelled_rows and window is not None and window.rows & top.rows and min(top.rows) >= _LETTERHEAD_ROWS:
        # the top company is the addressee in the window, below the page's first rows (where a letterhead
        # stands), and another one signs with its bank account
        return replace(signed, name_confidence=0.8, contested=True)
    return replace(signed, name_confidence=0.75, contested=True)  # two companies, neither tied twice: a person looks


def buyer(doc: Document, labelled: PartyRead | None, seller_rows: frozenset[int]) -> PartyRead | None:
    """The labelled buyer, else the address block of the window envelope; a block under a ship-to heading is
    the buyer only when no window holds another addressee above it."""
    if labelled is not None and labelled.name_confidence > _SHIP_TO_CONFIDENCE:
        return labelled
    window = address_window(doc, seller_rows | (labelled.rows if labelled else frozenset()))
    if labelled is None or (window is not None and min(window.rows) < min(labelled.rows)):
        return window
    return labelled
