"""Which printed amounts could be each document total: candidates scored by their label and place.

A printed invoice shows several amounts next to total-like labels (line sums, VAT per rate, a subtotal, a
grand total, a deposit, the amount due). This module only gathers them: each amount next to a label of a
total becomes a candidate for that total, scored by how specific the label is, where it sits (totals close
the document; a value under a column header may be a line amount) and what is printed around it. Choosing
among them, by the arithmetic the totals obey, is `text_totals`' business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from agents.readers._item_columns import header
from agents.readers.labels import Field, normalise
from agents.readers.locale_formats import AmountMatch, find_amounts
from agents.readers.text_layout import Document, Hit, hits_for

__all__ = ["Candidate", "amounts_in", "candidates", "close", "printed_amounts"]

_TOLERANCE = Decimal("0.02")
_KEEP = 4  # candidates kept per field for the combination search
_RATE = re.compile(r"\d\s*%")  # a percentage: a VAT rate, not an amount


@dataclass(frozen=True, slots=True)
class Candidate:
    """One amount offered for one total, with its score and row; `derived` ones were computed, not read."""

    value: Decimal
    score: float
    derived: bool = False
    row: int = -1
    alias: bool = False  # offered under another field's label (a subtotal offered as the net total)
    below: bool = False  # read under a column header, where line amounts sit too


def amounts_in(text: str, decimal_hint: str | None, space_groups: bool) -> list[AmountMatch]:
    """Amounts in a value text, without percentages, rates and bare small integers."""
    out: list[AmountMatch] = []
    for amount in find_amounts(text, decimal_hint, space_groups=space_groups):
        rest = text[amount.end : amount.end + 3].lstrip()
        if rest.startswith("%"):
            continue
        if amount.decimals == 0 and amount.currency is None:
            continue
        out.append(amount)
    return out


def candidates(
    doc: Document, field: Field, decimal_hint: str | None, space_groups: bool
) -> list[Candidate]:
    """The amounts printed next to a total's labels, best first.

    Args:
        doc: The document's rows and label hits.
        field: The total wanted; for the net total, subtotals are offered too (as aliases).
        decimal_hint: The document's decimal separator, if known.
        space_groups: Whether plain spaces group thousands in this document.

    Returns:
        At most a few candidates, one per distinct amount, with its best score.
    """
    total_rows = max((h.row.index for h in doc.hits), default=0) or 1
    best: dict[Decimal, tuple[float, int]] = {}
    alias: set[Decimal] = set()
    below: set[Decimal] = set()

    def offer(value: Decimal, score: float, row: int, other: bool = False, under: bool = False) -> None:
        if value not in best or best[value][0] < score:
            best[value] = (score, row)
            for flags, on in ((alias, other), (below, under)):
                flags.discard(value)
                if on:
                    flags.add(value)

    columns: dict[tuple[int, int], list[tuple[Hit, Decimal]]] = {}
    # a subtotal is often the net total itself ("Subtotal / VAT / Total"): offered, a little less sure
    labels = (Field.NET_TOTAL, Field.LINE_TOTAL) if field is Field.NET_TOTAL else (field,)
    headed = {h.row.index: h.row for h in doc.hits if h.below}  # rows with values under their labels
    tables = {i for i, row in headed.items() if header(row) is not None}
    for hit in (h for h in doc.hits if h.field in labels):
        if hit.row.index in tables:
            continue  # "Total TTC" heading an item table's column: each line's total, not the document's
        amounts = amounts_in(hit.value, decimal_hint, space_groups)
        if not amounts:
            continue
        amount = amounts[-1]
        other = hit.field is not field
        score = _hit_score(hit, total_rows) - (0.15 if other else 0.0)
        offer(amount.value, score, hit.value_row.index, other, hit.below > 0)
        if amount.parenthesized:  # "(35,13 €)" may be a note, not a negative amount
            offer(-amount.value, score - 0.1, hit.value_row.index, other, hit.below > 0)
        if hit.below and hit.field is field:
            columns.setdefault((hit.row.index, hit.label.start), []).append((hit, amount.value))
    if field is Field.TAX_TOTAL:
        # VAT per rate on consecutive rows: their sum is the VAT total, and no one of them alone is
        for value, row, members in _breakdown_sums(doc, decimal_hint, space_groups):
            top = max((best[m][0] for m in members if m in best), default=0.65)
            for member in members:
                if member in best and member != value:
                    best[member] = (best[member][0] - 0.15, best[member][1])
            offer(value, max(0.7, top + 0.05), row)
    for column in columns.values():
        # under a header, the row that sums the rows above it is the total
        for i, (hit, value) in enumerate(column):
            if i >= 2 and close(sum((v for _, v in column[:i]), Decimal(0)), value):
                best[value] = (best[value][0] + 0.3, hit.value_row.index)
    ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:_KEEP]
    return [Candidate(v, s, row=r, alias=v in alias, below=v in below) for v, (s, r) in ranked]


def _breakdown_sums(doc: Document, decimal_hint: str | None, space_groups: bool
                    ) -> list[tuple[Decimal, int, tuple[Decimal, ...]]]:
    """VAT printed per rate on consecutive rows ("VAT 20 % ... 40,00", "VAT 10 % ... 5,00"): their sum, its last
    row and the amounts summed."""
    runs: list[list[tuple[int, Decimal]]] = []
    for hit in hits_for(doc, Field.TAX_TOTAL):
        if hit.below or not _RATE.search(hit.row.text):  # "VAT 20 % ... 40,00" and "20% VAT ... 40,00" alike
            continue
        amounts = amounts_in(hit.value, decimal_hint, space_groups)
        if not amounts:
            continue
        item = (hit.row.index, amounts[-1].value)
        if runs and runs[-1][-1][0] == hit.row.index - 1:
            runs[-1].append(item)
        elif not runs or runs[-1][-1][0] != hit.row.index:
            runs.append([item])
    return [(sum((v for _, v in run), Decimal(0)), run[-1][0], tuple(v for _, v in run)) for run in runs
            if len(run) >= 2]


def printed_amounts(doc: Document, decimal_hint: str | None, space_groups: bool) -> dict[Decimal, int]:
    """Every amount with cents the document prints, and the last row it is on."""
    out: dict[Decimal, int] = {}
    for row in doc.rows:
        for amount in amounts_in(row.text, decimal_hint, space_groups):
            if amount.decimals == 2 and amount.value:
                out[amount.value] = row.index
    return out


def _hit_score(hit: Hit, total_rows: int) -> float:
    phrase = normalise(hit.label.phrase)
    score = 0.55 + min(0.25, len(phrase) / 60)
    if hit.row.starts_segment(hit.label.start):
        score += 0.05
    score += 0.08 * hit.row.index / total_rows  # totals close the document
    if hit.below:
        score -= 0.1 + 0.03 * hit.below
    if _RATE.search(hit.row.text[: hit.label.start]):
        score -= 0.1  # a rate before the label: a breakdown row, not the total
    return min(score, 0.9)


def close(a: Decimal, b: Decimal) -> bool:
    """Whether two amounts agree within the rounding of a printed invoice."""
    return abs(a - b) <= _TOLERANCE
