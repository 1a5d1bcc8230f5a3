"""Benchmark of the record store: rows per second through the batch statement vs one INSERT per row.

Both writers persist the same rows (invoice, extraction record, decision and lines of each event; an
integration test proves the two give identical rows) into the same tables, in the same run, for a scratch
tenant whose rows are deleted afterwards. The batch writer is `PostgresRecords.write_scored` (one round
trip per batch); the naive writer sends one prepared INSERT per row, each its own transaction, as a
row-at-a-time sink would. The order of the two alternates between repetitions so neither always runs on
a warmer cache, and the figures are medians over the repetitions.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from schemas import InvoiceScored, Reason
from streams.sinks.postgres import PostgresRecords

_INVOICE = (
    "INSERT INTO invoices (invoice_id, tenant_id, event_id, invoice_number, seller_name, seller_vat_id,"
    " currency, amount_due, issue_date, doc_type, format, extractor, document_sha256, decision, score, reasons,"
    " policy_version, cost_usd, pages, invoice, received_at, scored_at) VALUES ($1, $2, $3, $4, $5, $6, $7,"
    " $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18, $19, $20::jsonb, $21, $22)"
)
_INVOICE_JOURNEY = (  # since migration 0006 the row keeps when detection and extraction finished, since 0010
    # the document's reference
    _INVOICE.replace("received_at, scored_at)", "received_at, scored_at, detected_at, extracted_at, document)")
    .replace("$21, $22)", "$21, $22, $23, $24, $25::jsonb)")
)
_EXTRACTION = (
    "INSERT INTO invoice_extractions (invoice_id, tenant_id, event_id, extractor, route, format, pages,"
    " cost_pages, cost_model, cost_usd, confidences, reasons)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb)"
)
_DECISION = (
    "INSERT INTO decisions (event_id, invoice_id, tenant_id, decision, score, reasons, policy_version,"
    " scored_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)"
)
_LINE = (
    "INSERT INTO invoice_lines (invoice_id, line_no, tenant_id, line_id, description, quantity, unit,"
    " unit_price, net_amount, tax_rate) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)


@dataclass(frozen=True, slots=True)
class RecordFigures:
    """Median throughput of each writer over the repetitions."""

    rows: int
    batch_rows_per_s: float
    single_rows_per_s: float
    repetitions: int

    @property
    def ratio(self) -> float:
        """How many times faster the batch writer persists the same rows."""
        return self.batch_rows_per_s / self.single_rows_per_s


def _reasons(reasons: Sequence[Reason]) -> str:
    return orjson.dumps([r.model_dump(exclude_none=True) for r in reasons]).decode()


def rows_of(events: Sequence[InvoiceScored], *, journey: bool = True) -> list[tuple[str, tuple[Any, ...]]]:
    """Every row the record store writes for new invoices `events`, as (INSERT, values), one row at a time.

    With `journey` off, the invoice rows leave out the columns migrations 0006 and 0010 added (the tables as they
    were).
    """
    out: list[tuple[str, tuple[Any, ...]]] = []
    for ev in events:
        inv = ev.invoice
        seller = inv.seller if inv else None
        ref = ev.document.model_dump_json(exclude_none=True) if ev.document else None
        times = (ev.detected_at, ev.extracted_at, ref) if journey else ()
        out.append((_INVOICE_JOURNEY if journey else _INVOICE, (
            ev.invoice_id, ev.tenant_id, ev.event_id, inv.invoice_number if inv else None,
            seller.name if seller else None, seller.vat_id if seller else None, inv.currency if inv else None,
            inv.amount_due if inv else None, inv.issue_date if inv else None, inv.doc_type.value if inv else None,
            ev.format.value, ev.extractor, ev.document_sha256, ev.decision.value, ev.score, _reasons(ev.reasons),
            ev.policy_version, ev.cost.usd, ev.cost.pages, inv.model_dump_json() if inv else None,
            ev.received_at, ev.scored_at, *times,
        )))
        out.append((_EXTRACTION, (
            ev.invoice_id, ev.tenant_id, ev.event_id, ev.extractor, ev.route.value if ev.route else None,
            ev.format.value, ev.pages, ev.cost.pages, ev.cost.model, ev.cost.usd,
            orjson.dumps(inv.confidence if inv else {}).decode(), _reasons(ev.extraction_reasons),
        )))
        out.append((_DECISION, (ev.event_id, ev.invoice_id, ev.tenant_id, ev.decision.value, ev.score,
                                _reasons(ev.reasons), ev.policy_version, ev.scored_at)))
        for n, li in enumerate(inv.lines if inv else (), start=1):
            out.append((_LINE, (ev.invoice_id, n, ev.tenant_id, li.line_id, li.description, li.quantity, li.unit,
                                li.unit_price, li.net_amount, li.tax_rate)))
    return out


async def _write_batched(pool: Any, events: Sequence[InvoiceScored], batch: int) -> None:
    store = PostgresRecords(pool)
    for start in range(0, len(events), batch):
        await store.write_scored(events[start:start + batch])


async def _write_single(pool: Any, events: Sequence[InvoiceScored]) -> None:
    async with pool.acquire() as conn:
        for sql, values in rows_of(events):
            await conn.execute(sql, *values)


async def bench_records(
    pool: Any,
    make_events: Callable[[str, int], list[InvoiceScored]],
    *,
    tenant: str,
    count: int = 2000,
    batch: int = 500,
    repeat: int = 5,
) -> RecordFigures:
    """Time both writers `repeat` times on `count` fresh events each; deletes the tenant's rows after.

    Args:
        pool: An asyncpg pool with the migrations applied.
        make_events: Builds `count` scored events of `tenant` whose invoice ids start with the given prefix.
        tenant: A scratch tenant no one else writes to.
        count: Events per writer and repetition.
        batch: Events per batch statement.
        repeat: Repetitions (the median is reported).
    """
    batched: list[float] = []
    single: list[float] = []
    rows = 0
    try:
        for rep in range(repeat):
            runs = [("batch", batched), ("single", single)]
            for kind, timings in runs if rep % 2 == 0 else runs[::-1]:
                events = make_events(f"{tenant}-{rep}-{kind}-", count)
                rows = len(rows_of(events))
                start = time.perf_counter()
                if kind == "batch":
                    await _write_batched(pool, events, batch)
                else:
                    await _write_single(pool, events)
                timings.append(rows / (time.perf_counter() - start))
    finally:
        await PostgresRecords(pool).delete_tenant(tenant)
    return RecordFigures(rows, statistics.median(batched), statistics.median(single), repeat)
