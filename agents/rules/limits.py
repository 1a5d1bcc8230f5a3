"""Tenant limits: the currencies a tenant pays in, and the largest amount it lets through untouched.

Both are business decisions rather than data checks: a valid invoice in an unexpected currency, or above
the auto-approval limit, is fine to pay but only after a person agreed. Limits are per currency, with `*`
for currencies the policy does not list; credit notes are compared by absolute amount.
"""

from __future__ import annotations

from decimal import Decimal

from agents.rules.catalog import Finding
from schemas import InvoiceData


def check(
    invoice: InvoiceData, allowed: tuple[str, ...] | None, limits: dict[str, Decimal]
) -> list[Finding]:
    """Check the currency against the allowed list and the amount due against the limit.

    Args:
        invoice: The extracted invoice.
        allowed: Allowed currency codes, or None for any.
        limits: Largest auto-approved amount per currency code, `*` for the others.

    Returns:
        `currency_not_allowed` and/or `amount_over_limit`.
    """
    found: list[Finding] = []
    currency = (invoice.currency or "").strip().upper()
    if allowed is not None and currency and currency not in allowed:
        found.append(Finding("currency_not_allowed", "currency"))
    amount = invoice.amount_due if invoice.amount_due is not None else invoice.total_incl_vat
    limit = limits.get(currency, limits.get("*"))
    if amount is not None and limit is not None and abs(amount) > limit:
        found.append(Finding("amount_over_limit", "amount_due"))
    return found
