"""Invoice lines from the table of a text invoice, by the columns its header row sets out.

A line table has a header row naming its columns ("Description  Qty  Unit price  VAT  Amount",
"Bezeichnung  Menge  Einzelpreis  MwSt  Betrag"). Its words give each column's horizontal extent; every
row below that has an amount in the amount column is one line, and its other numbers are placed in the
column they sit under. The table ends where the totals or a VAT breakdown begin. When no header is
found no lines are returned: a guessed table is worse than none, since line sums feed a self-check.
"""

from __future__ import annotations

import re
from decimal import Decimal

from agents.readers._item_columns import Column, header, stacked_header, variants
from agents.readers.labels import Field, normalise
from agents.readers.locale_formats import AmountMatch, find_amounts
from agents.readers.text_amounts import amounts_in, printed_amounts
from agents.readers.text_layout import Document, Row
from schemas import LineItem

_STOP = re.compile(
    r"aufschlusselung|breakdown|recapitulatif|riepilogo|desglose|specificatie|belegsummen|zahlungsbedingungen"
    r"|payment terms|conditions de paiement|condizioni di pagamento|betalingsvoorwaarden|steuerbasis"
)
_TOTAL_FIELDS = {Field.NET_TOTAL, Field.GROSS_TOTAL, Field.AMOUNT_DUE, Field.TAX_TOTAL, Field.PREPAID,
                 Field.LINE_TOTAL}


def _column_of(x0: float, x1: float, columns: list[Column], unit: float) -> str | None:
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


def _amounts(row: Row, columns: list[Column], hint: str | None, space_groups: bool) -> list[AmountMatch]:
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


def _item(row: Row, columns: list[Column], hint: str | None, space_groups: bool) -> LineItem | None:
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
        if name is not None and name not in ("description", "tax_amount", "amount_alt") and name not in cells:
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
    """The invoice lines under the first table header (on one row, or stacked over a few), until the totals begin.

    Args:
        doc: The document's rows and label hits.
        hint: The document's decimal separator, if known.
        space_groups: Whether plain spaces group thousands in this document ("1 055,58").

    Returns:
        The lines, numbered from 1; empty when no table header is found.
    """
    for index, row in enumerate(doc.rows):
        columns, last = header(row), index
        if columns is None:
            stacked = stacked_header(doc.rows, index)  # its names over two or more lines
            if stacked is None:
                continue
            columns, last = stacked
        readings = [_rows(doc, last + 1, cols, hint, space_groups) for cols in variants(columns)]
        return _net_column(doc, readings, hint, space_groups) if len(readings) > 1 else readings[0][0]
    return ()


def _net_column(doc: Document, readings: list[tuple[tuple[LineItem, ...], int]], hint: str | None,
                space_groups: bool) -> tuple[LineItem, ...]:
    """Of the readings by each amount-like column, the one whose sum the document prints below its lines as
    its net total or subtotal, else the first whose sum it prints there at all, else the rightmost column's."""
    printed = printed_amounts(doc, hint, space_groups)
    nets = {a.value for h in doc.hits if h.field in (Field.NET_TOTAL, Field.LINE_TOTAL) and not h.below
            for a in amounts_in(h.value, hint, space_groups)}
    sums = [sum((i.net_amount for i in items if i.net_amount is not None), Decimal(0)) for items, _ in readings]
    for wanted in (nets, set(printed)):
        for (items, end), total in zip(readings, sums, strict=True):
            if items and total in wanted and printed.get(total, -1) >= end:
                return items
    return readings[0][0]


def _rows(doc: Document, start: int, columns: list[Column], hint: str | None, space_groups: bool
          ) -> tuple[tuple[LineItem, ...], int]:
    """The lines from a row on, read by the given columns, and the index of the first row below the last line.

    Rows below the last line that this reading takes for no line (an unlabelled "Base  172,96" whose amount
    stands in another column) are not part of its table: a sum printed there is printed below the lines."""
    items: list[LineItem] = []
    below = start
    for row in doc.rows[start:]:
        if header(row) is not None:
            continue  # the header repeated on the next page
        if _is_end(doc, row):
            break
        item = _item(row, columns, hint, space_groups)
        if item is not None and _sums_the_lines(item, items):
            break  # "Base  172,96": an unlabelled total under the table, not one more line
        if item is not None:
            items.append(item.model_copy(update={"line_id": str(len(items) + 1)}))
            below = row.index + 1
    return tuple(items), below
