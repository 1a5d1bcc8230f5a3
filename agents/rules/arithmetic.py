"""EN 16931 totals arithmetic: do the amounts of an invoice add up?

A wrong total is the cheapest sign of a misread field (an OCR slip, a reader that took the wrong element)
or of a doctored document, so every calculation rule of EN 16931-1 whose inputs are present is checked:
line sum = BT-106 (BR-CO-10), BT-109 = BT-106 - BT-107 + BT-108 (BR-CO-13), tax of each VAT breakdown =
base x rate (BR-S-09 and siblings), BT-110 = sum of breakdown tax (BR-CO-14), BT-112 = BT-109 + BT-110
(BR-CO-15), BT-115 = BT-112 - BT-113 + BT-114 (BR-CO-16). A check whose inputs are missing is skipped:
missing fields are the business of the `required` rule. The tolerance is the policy's per-operation
rounding allowance, widened by half a cent per summed item because many issuers round each line or each
line's VAT before adding them up.
"""

from __future__ import annotations

from decimal import Decimal

from agents.rules.catalog import Finding
from schemas import InvoiceData

_ZERO = Decimal(0)
_HALF_CENT = Decimal("0.005")
_HUNDRED = Decimal(100)
_NO_TAX_CATEGORIES = frozenset({"E", "Z", "AE", "K", "G", "O"})  # exempt, zero, reverse charge, intra-EU...


def _off(actual: Decimal, expected: Decimal, tolerance: Decimal) -> bool:
    return abs(actual - expected) > tolerance


def check(invoice: InvoiceData, tolerance: Decimal) -> list[Finding]:
    """Check every EN 16931 calculation whose inputs the invoice carries.

    Args:
        invoice: The extracted invoice.
        tolerance: Allowed rounding difference per operation (e.g. 0.01).

    Returns:
        One finding per failed calculation (codes ending in `_mismatch`).
    """
    found: list[Finding] = []
    inv = invoice
    line_sum = _line_sum(inv)
    n_lines = len(inv.lines)
    if line_sum is not None and inv.line_net_total is not None:
        slack = max(tolerance, _HALF_CENT * n_lines)
        if _off(inv.line_net_total, line_sum, slack):
            found.append(Finding("line_total_mismatch", "line_net_total"))
    allowances = inv.allowance_total or _ZERO
    charges = inv.charge_total or _ZERO
    net = inv.total_net
    if net is not None and inv.line_net_total is not None and _off(
        net, inv.line_net_total - allowances + charges, tolerance
    ):
        found.append(Finding("net_total_mismatch", "total_net"))
    found.extend(_breakdown(inv, tolerance))
    gross, tax = inv.total_incl_vat, inv.total_tax
    if gross is not None and net is not None and tax is not None and _off(gross, net + tax, tolerance):
        found.append(Finding("total_incl_vat_mismatch", "total_incl_vat"))
    if inv.amount_due is not None and inv.total_incl_vat is not None:
        expected = inv.total_incl_vat - (inv.prepaid or _ZERO) + (inv.rounding or _ZERO)
        if _off(inv.amount_due, expected, tolerance):
            found.append(Finding("amount_due_mismatch", "amount_due"))
    return found


def _line_sum(inv: InvoiceData) -> Decimal | None:
    """Sum of line net amounts, or None when there are no lines or one has no amount."""
    if not inv.lines:
        return None
    total = _ZERO
    for line in inv.lines:
        if line.net_amount is None:
            return None
        total += line.net_amount
    return total


def _breakdown(inv: InvoiceData, tolerance: Decimal) -> list[Finding]:
    """Checks on the VAT breakdown: tax per rate, its sum against BT-110, its bases against BT-109."""
    if not inv.tax_breakdown:
        return []
    found: list[Finding] = []
    tax_sum = _ZERO
    base_sum = _ZERO
    # a category's tax may be the sum of per-line rounded taxes: allow half a cent per line of that rate
    per_line = _HALF_CENT * max(1, len(inv.lines))
    for sub in inv.tax_breakdown:
        tax_sum += sub.tax_amount
        base_sum += sub.taxable_amount
        rate = sub.rate
        if rate is None and (sub.category or "").upper() in _NO_TAX_CATEGORIES:
            rate = _ZERO
        if rate is None:
            continue
        expected = sub.taxable_amount * rate / _HUNDRED
        if _off(sub.tax_amount, expected, max(tolerance, per_line)):
            found.append(Finding("tax_rate_mismatch", "tax_breakdown"))
            break  # one reason for the breakdown is enough
    slack = max(tolerance, _HALF_CENT * len(inv.tax_breakdown))
    if inv.total_tax is not None and _off(inv.total_tax, tax_sum, slack):
        found.append(Finding("tax_total_mismatch", "total_tax"))
    if inv.total_net is not None and _off(inv.total_net, base_sum, slack):
        found.append(Finding("tax_base_mismatch", "tax_breakdown"))
    return found
