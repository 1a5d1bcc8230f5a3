"""PostgreSQL records: scored invoices and their decision history, one round trip per batch.

A batch is sent as arrays and unnested server-side in one statement, so 500 events cost one round trip.
The upsert is idempotent and ordered: a row changes only when the incoming event is newer (scored_at, then
event id) than what is stored, so a redelivered or older event never overwrites a newer state; the decision
history is keyed by event id, so a redelivery adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import orjson

from schemas import InvoiceScored
from streams.errors import SinkError
from streams.sinks.migrations import apply_migrations

_UPSERT = """
WITH rows AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::numeric[], $9::date[], $10::text[], $11::text[], $12::text[], $13::text[],
                       $14::text[], $15::float8[], $16::text[], $17::text[], $18::numeric[], $19::int[],
                       $20::text[], $21::timestamptz[], $22::timestamptz[])
    AS r(invoice_id, tenant_id, event_id, invoice_number, seller_name, seller_vat_id, currency, amount_due,
         issue_date, doc_type, format, extractor, document_sha256, decision, score, reasons, policy_version,
         cost_usd, pages, invoice, received_at, scored_at)
), history AS (
  INSERT INTO decisions (event_id, invoice_id, tenant_id, decision, score, reasons, policy_version, scored_at)
  SELECT event_id, invoice_id, tenant_id, decision, score, reasons::jsonb, policy_version, scored_at FROM rows
  ON CONFLICT (event_id) DO NOTHING
)
INSERT INTO invoices AS i (invoice_id, tenant_id, event_id, invoice_number, seller_name, seller_vat_id,
  currency, amount_due, issue_date, doc_type, format, extractor, document_sha256, decision, score, reasons,
  policy_version, cost_usd, pages, invoice, received_at, scored_at)
SELECT invoice_id, tenant_id, event_id, invoice_number, seller_name, seller_vat_id, currency, amount_due,
  issue_date, doc_type, format, extractor, document_sha256, decision, score, reasons::jsonb, policy_version,
  cost_usd, pages, invoice::jsonb, received_at, scored_at FROM rows
ON CONFLICT (invoice_id) DO UPDATE SET
  tenant_id = EXCLUDED.tenant_id, event_id = EXCLUDED.event_id, invoice_number = EXCLUDED.invoice_number,
  seller_name = EXCLUDED.seller_name, seller_vat_id = EXCLUDED.seller_vat_id, currency = EXCLUDED.currency,
  amount_due = EXCLUDED.amount_due, issue_date = EXCLUDED.issue_date, doc_type = EXCLUDED.doc_type,
  format = EXCLUDED.format, extractor = EXCLUDED.extractor, document_sha256 = EXCLUDED.document_sha256,
  decision = EXCLUDED.decision, score = EXCLUDED.score, reasons = EXCLUDED.reasons,
  policy_version = EXCLUDED.policy_version, cost_usd = EXCLUDED.cost_usd, pages = EXCLUDED.pages,
  invoice = EXCLUDED.invoice, received_at = EXCLUDED.received_at, scored_at = EXCLUDED.scored_at,
  written_at = now()
WHERE (i.scored_at, i.event_id) < (EXCLUDED.scored_at, EXCLUDED.event_id)
"""


def latest_per_invoice(events: Sequence[InvoiceScored]) -> list[InvoiceScored]:
    """One event per invoice id, the newest, so one statement never touches a row twice."""
    best: dict[str, InvoiceScored] = {}
    for ev in events:
        old = best.get(ev.invoice_id)
        if old is None or (old.scored_at, old.event_id) < (ev.scored_at, ev.event_id):
            best[ev.invoice_id] = ev
    return list(best.values())


def _columns(events: Sequence[InvoiceScored]) -> list[list[Any]]:
    cols: list[list[Any]] = [[] for _ in range(22)]
    for ev in events:
        inv = ev.invoice
        seller = inv.seller if inv else None
        row = (
            ev.invoice_id, ev.tenant_id, ev.event_id, inv.invoice_number if inv else None,
            seller.name if seller else None, seller.vat_id if seller else None, inv.currency if inv else None,
            inv.amount_due if inv else None, inv.issue_date if inv else None,
            inv.doc_type.value if inv else None, ev.format.value, ev.extractor, ev.document_sha256,
            ev.decision.value, ev.score, orjson.dumps([r.model_dump(exclude_none=True) for r in ev.reasons]).decode(),
            ev.policy_version, ev.cost.usd, ev.cost.pages, inv.model_dump_json() if inv else None,
            ev.received_at, ev.scored_at,
        )
        for col, value in zip(cols, row, strict=True):
            col.append(value)
    return cols


class PostgresRecords:
    """The record store on an asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def write_scored(self, events: Sequence[InvoiceScored]) -> int:
        """Upsert a batch of scored events in one round trip; returns the number of events sent."""
        if not events:
            return 0
        rows = latest_per_invoice(events)
        try:
            async with self.pool.acquire() as conn:
                await conn.execute(_UPSERT, *_columns(rows))
        except (asyncpg.PostgresError, OSError) as exc:
            raise SinkError(f"postgres write: {type(exc).__name__}") from exc
        return len(rows)


async def open_pool(dsn: str, max_size: int) -> Any:
    """An asyncpg pool with the migrations applied."""
    try:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, command_timeout=30)
        async with pool.acquire() as conn:
            await apply_migrations(conn)
    except (asyncpg.PostgresError, OSError) as exc:
        raise SinkError(f"postgres at the configured DSN did not answer: {type(exc).__name__}") from exc
    return pool
