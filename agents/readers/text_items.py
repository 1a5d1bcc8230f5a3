"""Invoice lines from the table of a text invoice, by the columns its header row sets out.

A line table has a header row naming its columns ("Description  Qty  Unit price  VAT  Amount",
"Bezeichnung  Menge  Einzelpreis  MwSt  Betrag"). Its words give each column's horizontal extent; every
row below that has an amount in the amount column is one line, and its other numbers are placed in the
column they sit under. The table ends where the totals or a VAT breakdown begin. When no header is
found no lines are returned: a guessed table is worse than none, since line sums feed a self-check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from agents.readers.labels import Field, normalise
from agents.readers.locale_formats import AmountMatch, find_amounts
from agents.readers.text_layout import Document, Row
from schemas import LineItem

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
_STOP = re.compile(
    r"aufschlusselung|breakdown|recapitulatif|riepilogo|desglose|specificatie|belegsummen|zahlungsbedingungen"
    r"|payment terms|conditions de paiement|condizioni di pagamento|betalingsvoorwaarden|steuerbasis"
)
_TOTAL_FIELDS = {Field.NET_TOTAL, Field.GROSS_TOTAL, Field.AMOUNT_DUE, Field.TAX_TOTAL, Field.PREPAID,
                 Field.LINE_TOTAL}


def _pattern(words: str) -> re.Pattern[str]:
    bodies = (re.escape(p).replace(r"\ ", r"\s+") for p in words.split("|"))
    # one word-start test for all phrases, so each phrase then starts with a literal letter (same matches)
    return re.compile("(?<![a-z0-9])(?:" + "|".join(f"{body}(?![a-z0-9])" for body in bodies) + ")")


_PATTERNS = {name: _pattern(words) for name, words in _COLUMNS.items()}


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    x0: float
    x1: float


def _header(row: Row) -> list[_Column] | None:
    """The columns a header row names. The net amount is the rightmost amount-like header; a second tax word
    ("VAT %  VAT  Amount") heads the per-line VAT amounts, which are never a line's net amount."""
    norm = normalise(row.text)
    columns: list[_Column] = []
    taken: list[tuple[int, int]] = []
    for name in ("tax_amount", "unit_price", "amount", "description", "quantity", "tax_rate", "tax_amount"):
        found = [m for m in _PATTERNS[name].finditer(norm)
                 if not any(a < m.end() and m.start() < b for a, b in taken)
                 and not any(m.start() < s < m.end() for s in row.segment_starts)]  # one header, one column
        for m in reversed(found) if name == "amount" else found:
            words = row.words_in(m.start(), m.end())
            if words:
                columns.append(_Column(name, min(w.x0 for w in words), max(w.x1 for w in words)))
                taken.append((m.start(), m.end()))
                break
    names = {c.name for c in columns}
    if "amount" not in names or len(names) < 3 or not names & {"quantity", "unit_price"}:
        return None
    return sorted(columns, key=lambda c: c.x0)


def _column_of(x0: float, x1: float, columns: list[_Column], unit: float) -> str | None:
    best: tuple[float, str] | None = None
    for col in columns:
        if x0 > col.x1 + 2 * unit or x1 < col.x0 - 2 * unit:
            continue
        distance = min(abs(x1 - col.x1), abs(x0 - col.x0), abs((x0 + x1) / 2 - (col.x0 + col.x1) / 2))
        if best is None or distance < best[0]:
            best = (distance, col.name)
    return best[1] if best else None


def _is_end(doc: Document, row: Row) -> bool:
    if _STOP.search(normalise(row.text)):
        return True
    return any(h.row.index == row.index and h.field in _TOTAL_FIELDS and h.label.start == 0 for h in doc.hits)


def _amounts(row: Row, columns: list[_Column], hint: str | None, space_groups: bool) -> list[AmountMatch]:
    """The row's numbers; "1 055,58" is one number where spaces group thousands and it fits one column."""
    plain = find_amounts(row.text, hint)
    if not space_groups:
        return plain
    out: list[AmountMatch] = []
    for amount in find_amounts(row.text, hint, space_groups=True):
        words = row.words_in(amount.start, amount.end)
        names = {_column_of(w.x0, w.x1, columns, row.height) for w in words}
        if len(names) == 1:
            out.append(amount)
        else:
            out.extend(a for a in plain if amount.start <= a.start and a.end <= amount.end)
    return out


def _item(row: Row, columns: list[_Column], hint: str | None, space_groups: bool) -> LineItem | None:
    unit = row.height
    cells: dict[str, Decimal] = {}
    description: list[str] = []
    numeric_spans: list[tuple[int, int]] = []
    for amount in _amounts(row, columns, hint, space_groups):
        words = row.words_in(amount.start, amount.end)
        if not words:
            continue
        name = _column_of(words[0].x0, words[-1].x1, columns, unit)
        rest = row.text[amount.end : amount.end + 2].strip()
        if rest.startswith("%"):
            name = "tax_rate"
        if name == "amount" and amount.decimals == 0:
            continue  # a line amount is money with decimals; "Page 1 of 2" under the column is not one
        if name is not None and name not in ("description", "tax_amount") and name not in cells:
            cells[name] = amount.value
            numeric_spans.append((amount.start, amount.end))
    if "amount" not in cells:
        return None
    for word, (a, b) in zip(row.words, row.spans, strict=True):
        if any(s <= a and b <= e for s, e in numeric_spans) or word.text == "%":
            continue
        if _column_of(word.x0, word.x1, columns, unit) == "description" or not any(c.isdigit() for c in word.text):
            description.append(word.text)
    return LineItem(
        description=" ".join(description)[:200] or None,
        quantity=cells.get("quantity"),
        unit_price=cells.get("unit_price"),
        net_amount=cells["amount"],
        tax_rate=cells.get("tax_rate"),
    )


def _sums_the_lines(item: LineItem, items: list[LineItem]) -> bool:
    """A row with an amount, a word or two and no quantity or price, that adds up the lines above it."""
    if not items or item.quantity is not None or item.unit_price is not None or item.net_amount is None:
        return False
    words = (item.description or "").split()
    if len(words) > 2 or any(c.isdigit() for c in "".join(words)):
        return False  # a line's details on a row of its own ("/V2A  Basismenge: 1 Stk  1.000,00")
    return item.net_amount == sum((i.net_amount for i in items if i.net_amount is not None), Decimal(0))


def read_items(doc: Document, hint: str | None, space_groups: bool = False) -> tuple[LineItem, ...]:
    """The invoice lines under the first table header, until the totals begin.

    Args:
        doc: The document's rows and label hits.
        hint: The document's decimal separator, if known.
        space_groups: Whether plain spaces group thousands in this document ("1 055,58").

    Returns:
        The lines, numbered from 1; empty when no table header is found.
    """
    items: list[LineItem] = []
    columns: list[_Column] | None = None
    for row in doc.rows:
        if columns is None:
            columns = _header(row)
            continue
        if _header(row) is not None:
            continue  # the header repeated on the next page
        if _is_end(doc, row):
            break
        item = _item(row, columns, hint, space_groups)
        if item is not None and _sums_the_lines(item, items):
            break  # "Base  172,96": an unlabelled total under the table, not one more line
        if item is not None:
            items.append(item.model_copy(update={"line_id": str(len(items) + 1)}))
    return tuple(items)
