"""A toy rule (scratch: checks DEVELOPERS.md "How to add a rule"): the buyer should be named."""

from __future__ import annotations

from agents.rules.catalog import Finding
from schemas import InvoiceData


def check(invoice: InvoiceData) -> list[Finding]:
    """`buyer_unnamed` when the invoice names no buyer; nothing otherwise."""
    return [] if invoice.buyer.name else [Finding("buyer_unnamed", "buyer.name")]
