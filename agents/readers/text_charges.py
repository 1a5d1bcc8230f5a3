"""Line total (BT-106), document allowances (BT-107) and charges (BT-108) of a text invoice, reconciled.

Between the lines and the net total (BT-109) an invoice may print a subtotal, discounts and surcharges
("Subtotal 142,60 / Discount -2,85 / Net total 139,75"), and EN 16931 ties them: BT-109 = BT-106 - BT-107
+ BT-108. A label alone cannot say whether a printed discount is a document allowance (a cash discount for
early payment is not; a line discount is already inside the line amounts; a summary row repeats its detail
rows), so every labelled allowance and charge is a candidate and the reader keeps the smallest set that makes
the arithmetic hold, starting from the printed subtotal or from the sum of the lines it read. When no set
agrees, nothing is claimed: an unexplained gap is for the score stage to report, not for the reader to hide.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from agents.readers.labels import Field
from agents.readers.text_amounts import amounts_in
from agents.readers.text_layout import Document, hits_for

__all__ = ["Adjustment", "NetBasis", "adjustments", "line_totals", "reachable_nets", "reconcile"]

_TOLERANCE = Decimal("0.01")
_MAX_ADJUSTMENTS = 8  # 2**8 subsets: the search stays well under a millisecond
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One printed allowance or charge: its size (positive), which kind, and its row."""

    value: Decimal
    charge: bool
    row: int


@dataclass(frozen=True, slots=True)
class NetBasis:
    """How the lines lead to the net total: BT-106, BT-107, BT-108 and the evidence behind BT-106."""

    line_total: Decimal
    allowances: Decimal
    charges: Decimal
    printed: bool  # the line total is printed next to a label
    summed: bool  # the lines read add up to it


def line_totals(doc: Document, decimal_hint: str | None, space_groups: bool) -> list[Decimal]:
    """Amounts printed next to a subtotal label ("Subtotal", "Zwischensumme", "Sous-total"), in order."""
    out: list[Decimal] = []
    for hit in hits_for(doc, Field.LINE_TOTAL):
        if hit.below > 1:
            continue
        amounts = amounts_in(hit.value, decimal_hint, space_groups)
        if amounts and amounts[-1].value not in out:
            out.append(amounts[-1].value)
    return out


def adjustments(doc: Document, decimal_hint: str | None, space_groups: bool) -> list[Adjustment]:
    """Allowances and charges printed next to their label on the same row ("Discount -2,85", "Freight 12,00")."""
    out: list[Adjustment] = []
    for hit in doc.hits:
        if hit.field not in (Field.ALLOWANCE, Field.CHARGE) or hit.below:
            continue
        amounts = amounts_in(hit.value, decimal_hint, space_groups)
        if not amounts or amounts[-1].value == 0:
            continue
        item = Adjustment(abs(amounts[-1].value), hit.field is Field.CHARGE, hit.row.index)
        if item not in out:
            out.append(item)
    return out[-_MAX_ADJUSTMENTS:]  # the totals close the document: keep the last ones


def _subsets(items: Sequence[Adjustment]) -> Iterable[tuple[Adjustment, ...]]:
    """All subsets, the smallest first: the fewest adjustments that explain the net are the likeliest."""
    for size in range(len(items) + 1):
        yield from itertools.combinations(items, size)


def _effect(chosen: Iterable[Adjustment]) -> tuple[Decimal, Decimal]:
    allowances = sum((a.value for a in chosen if not a.charge), _ZERO)
    charges = sum((a.value for a in chosen if a.charge), _ZERO)
    return allowances, charges


def _sign(value: Decimal) -> Decimal:
    # an allowance makes an amount smaller in size: on a negative (correcting) invoice it is added
    return Decimal(-1) if value < 0 else Decimal(1)


def reachable_nets(bases: Iterable[Decimal], items: Sequence[Adjustment]) -> frozenset[Decimal]:
    """Every net total a line total and a set of the printed adjustments can lead to.

    Args:
        bases: Candidate line totals (printed subtotals, the sum of the lines read).
        items: The printed allowances and charges.

    Returns:
        The reachable net totals, used as evidence for the net total among the printed amounts.
    """
    effects = {a - c for a, c in (_effect(chosen) for chosen in _subsets(items))}
    return frozenset(base - _sign(base) * effect for base in set(bases) for effect in effects)


def reconcile(
    net: Decimal, line_sum: Decimal | None, printed: Sequence[Decimal], items: Sequence[Adjustment]
) -> NetBasis | None:
    """The line total and the smallest set of adjustments that give the net total, if any.

    Args:
        net: The net total (BT-109) chosen among the totals.
        line_sum: The sum of the line amounts read, if a line table was read.
        printed: Amounts printed next to a subtotal label.
        items: The printed allowances and charges.

    Returns:
        BT-106, BT-107 and BT-108 (signed like the line total) with their evidence; None when no
        combination gives the net total.
    """
    bases: list[tuple[Decimal, bool, bool]] = []
    for value in printed:
        summed = line_sum is not None and abs(line_sum - value) <= _TOLERANCE
        bases.append((value, True, summed))
    if line_sum is not None:
        bases.append((line_sum, False, True))
    bases.sort(key=lambda b: (not (b[1] and b[2]), not b[1]))  # printed and summed, printed, summed
    for chosen in _subsets(items):
        allowances, charges = _effect(chosen)
        for value, is_printed, summed in bases:
            sign = _sign(value)
            if abs(value - sign * (allowances - charges) - net) <= _TOLERANCE:
                return NetBasis(value, sign * allowances, sign * charges, is_printed, summed)
    return None
