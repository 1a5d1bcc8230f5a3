"""Hand-made scored events and full table dumps, shared by the record-store unit and integration tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from agents.score import ScoreResult, scored_event
from schemas import Decision, InvoiceScored, LineItem, Reason
from tools.bench.score import sample_extracted

RECORD_TABLES = ("invoices", "invoice_lines", "invoice_extractions", "decisions", "vendors")
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def scored(invoice_id: str, tenant: str, *, version: int = 1, lines: int = 5,
           decision: Decision = Decision.AUTO_APPROVE, vat_id: str = "DE136695976",
           iban: str = "DE89370400440532013000") -> InvoiceScored:
    """One scored event for `invoice_id`; a higher `version` is a later, different event for it."""
    base = sample_extracted()
    assert base.invoice is not None
    items = tuple(
        LineItem(line_id=f"{version}.{n}", description=f"item {n} v{version}", quantity=Decimal(n),
                 unit="C62", unit_price=Decimal("10.00"), net_amount=Decimal(10 * n), tax_rate=Decimal(19))
        for n in range(1, lines + 1)
    )
    invoice = base.invoice.model_copy(update={
        "lines": items, "invoice_number": f"N-{invoice_id}", "seller_iban": iban,
        "seller": base.invoice.seller.model_copy(update={"vat_id": vat_id}),
        "confidence": {"amount_due": 1.0, "invoice_number": 0.9 + version / 100},
    })
    extracted = base.model_copy(update={
        "event_id": f"extract-{invoice_id}-{version}", "invoice_id": invoice_id, "tenant_id": tenant,
        "invoice": invoice,
    })
    reasons = () if decision is Decision.AUTO_APPROVE else (Reason(code="new_vendor", message="New seller."),)
    result = ScoreResult(0.95 if decision is Decision.AUTO_APPROVE else 0.6, decision, reasons, f"v{version}")
    return scored_event(extracted, result, T0 + timedelta(minutes=version))


async def dump(conn: Any, tenant: str, tables: tuple[str, ...] = RECORD_TABLES) -> dict[str, list[str]]:
    """Every row of the tenant in `tables`, as text, with the row version (xmin): any rewrite shows.

    NULL columns are left out, so a column a later migration added (NULL in rows written before it) leaves
    the dump of those rows as it was.
    """
    out: dict[str, list[str]] = {}
    for table in tables:
        rows = await conn.fetch(
            f"SELECT t.xmin::text || ' ' || jsonb_strip_nulls(to_jsonb(t))::text AS r FROM {table} t"
            " WHERE t.tenant_id = $1 ORDER BY 1",
            tenant,
        )
        out[table] = [r["r"] for r in rows]
    return out
