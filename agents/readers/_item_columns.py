"""The header row of an item table: which columns it names and where they stand.

Shared by the item reader (`text_items`), which reads the lines under it, and by the totals' candidates
(`text_amounts`), for which a total's word in a table header ("Total TTC" over each line's total) heads a
column of line values, never a document total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from agents.readers.labels import normalise
from agents.readers.pdf_text import Word
from agents.readers.text_layout import Row, make_row

__all__ = ["Column", "header", "stacked_header", "variants"]

_COLUMNS: dict[str, str] = {
    "description": "description|beschreibung|bezeichnung|artikelbezeichnung|artikelbeschreibung|article|item"
    "|product|produkt|leistung|designation|libelle|descrizione|descripcion|concepto|omschrijving|artikel"
    "|details|service",
    "quantity": "qty|quantity|menge|anzahl|quantite|qte|quantita|qta|cantidad|cant|aantal|units|stk",
    "unit_price": "unit price|price|preis|einzelpreis|nettopreis|stuckpreis|prix unitaire|p.u.|pu|prix"
    "|prezzo|prezzo unitario|precio|precio unitario|prijs|stukprijs|rate|preis/einheit|unit cost",
    "tax_rate": "vat|vat %|tax|tax %|mwst|mwst-%|ust|ust. %|steuersatz|steuer|tva|iva|btw|vat rate|% tva",
    # a per-line VAT amount ("VAT amount", "MwSt.-Betrag", "Montant TVA"): money, but never the line's net amount
    "tax_amount": "vat amount|vat amt|tax amount|tax amt|mwst-betrag|mwst.-betrag|ust-betrag|ust.-betrag"
    "|steuerbetrag|montant tva|mt tva|importo iva|imp. iva|cuota iva|cuota|importe iva|btw-bedrag|btw bedrag",
    "amount": "amount|total|line total|betrag|gesamt|nettobetrag|summe|montant|montant ht|total ht|importo"
    "|totale|importe|bedrag|totaal|net amount|gesamtpreis|positionsbetrag|entgelt|nettowert|net|netto",
}
def _pattern(words: str) -> re.Pattern[str]:
    bodies = (re.escape(p).replace(r"\ ", r"\s+") for p in words.split("|"))
    # one word-start test for all phrases, so each phrase then starts with a literal letter (same matches)
    return re.compile("(?<![a-z0-9])(?:" + "|".join(f"{body}(?![a-z0-9])" for body in bodies) + ")")


_PATTERNS = {name: _pattern(words) for name, words in _COLUMNS.items()}


@dataclass(frozen=True, slots=True)
class Column:
    """One column a header names: what it holds and its horizontal extent."""

    name: str
    x0: float
    x1: float


def header(row: Row) -> list[Column] | None:
    """The columns a header row names. The net amount is the rightmost amount-like header, and other
    amount-like headers are alternatives (`amount_alt`: "Net  VAT  Total" per line); a second tax word
    ("VAT %  VAT  Amount") heads the per-line VAT amounts, which are never a line's net amount."""
    norm = normalise(row.text)
    columns: list[Column] = []
    taken: list[tuple[int, int]] = []
    for name in ("tax_amount", "unit_price", "amount", "description", "quantity", "tax_rate", "tax_amount"):
        found = [m for m in _PATTERNS[name].finditer(norm)
                 if not any(a < m.end() and m.start() < b for a, b in taken)
                 and not any(m.start() < s < m.end() for s in row.segment_starts)]  # one header, one column
        for m in reversed(found) if name == "amount" else found:
            words = row.words_in(m.start(), m.end())
            if words:
                kind = "amount_alt" if name == "amount" and any(c.name == "amount" for c in columns) else name
                columns.append(Column(kind, min(w.x0 for w in words), max(w.x1 for w in words)))
                taken.append((m.start(), m.end()))
                if name != "amount":
                    break
    names = {c.name for c in columns}
    if "amount" not in names or len(names) < 3 or not names & {"quantity", "unit_price"}:
        return None
    return sorted(columns, key=lambda c: c.x0)


def variants(columns: list[Column]) -> list[list[Column]]:
    """The header as read, then with each alternative amount column (right to left) as the net amount."""
    alts = sorted((c for c in columns if c.name == "amount_alt"), key=lambda c: -c.x0)
    out = [columns]
    for alt in alts:
        out.append([replace(c, name="amount") if c is alt else replace(c, name="amount_alt") if c.name == "amount"
                    else c for c in columns])
    return out




_NAMED = ("description", "quantity", "unit_price", "tax_rate")  # columns a header names besides the amount
_STACK_REACH = 2.2  # text heights above and below a header row where more of its words may stand
_MONEY = re.compile(r"\d[.,]\d{2,4}(?!\d)")  # an amount: an item row, never part of a header
_BROKEN = ("-", "\u00ad", "\ufffe")  # a word broken at the end of a header line ("Positions-" / "betrag")


def stacked_header(rows: Sequence[Row], at: int) -> tuple[list[Column], int] | None:
    """A header whose column names are stacked over several lines: "Pos  Beschreibung  Nettopreis  Menge  USt."
    with "Positions-" / "betrag" / "ohne USt." above and below the rightmost column, or "Menge" over "einheit".

    The row at `at` names columns but no amount (or no quantity nor price); the lines just above and below it,
    on its page and without amounts, are read with it, each column's words joined top to bottom.

    Args:
        rows: The document's rows.
        at: The index of the row that names some columns.

    Returns:
        The columns, and the index of the last row of the header; None when the stack names no table either.
    """
    row = rows[at]
    norm = normalise(row.text)
    if sum(bool(_PATTERNS[name].search(norm)) for name in _NAMED) < 2 or _MONEY.search(row.text):
        return None
    mid, reach = (row.y0 + row.y1) / 2, _STACK_REACH * row.height
    first = last = at
    while first > 0 and _stacks_with(rows[first - 1], row, mid, reach):
        first -= 1
    while last + 1 < len(rows) and _stacks_with(rows[last + 1], row, mid, reach):
        last += 1
    if first == last:
        return None
    columns = header(make_row(row.page, at, _stack_words(rows[first : last + 1])))
    return (columns, last) if columns is not None else None


def _stacks_with(other: Row, row: Row, mid: float, reach: float) -> bool:
    return other.page == row.page and abs((other.y0 + other.y1) / 2 - mid) <= reach and not _MONEY.search(other.text)


def _stack_words(rows: Sequence[Row]) -> list[Word]:
    """Each column's segments on the rows, top to bottom, as one word spanning them all."""
    stacks: list[list[Word]] = []
    for row in rows:
        for a, b in row.segments():
            words = row.words_in(a, b)
            if not words:
                continue
            seg = Word(min(w.x0 for w in words), row.y0, max(w.x1 for w in words), row.y1, row.text[a:b].strip())
            overlaps = [(min(max(w.x1 for w in s), seg.x1) - max(min(w.x0 for w in s), seg.x0), s) for s in stacks]
            best = max(overlaps, key=lambda o: o[0], default=None)
            if best is not None and best[0] > 0:
                best[1].append(seg)
            else:
                stacks.append([seg])
    out: list[Word] = []
    for stack in stacks:
        text = ""
        for word in stack:
            if text.endswith(_BROKEN) and word.text[:1].islower():
                text = text[:-1] + word.text  # a word broken over two lines
            else:
                text = f"{text} {word.text}".strip()
        out.append(Word(min(w.x0 for w in stack), stack[0].y0, max(w.x1 for w in stack), stack[-1].y1, text))
    return sorted(out, key=lambda w: w.x0)
