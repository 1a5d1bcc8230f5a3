"""PostgreSQL records: scored invoices, their lines and extraction, the decision history and the vendors.

A batch is sent as one JSON document per event and taken apart server-side by one statement (see
`_record_sql`), so 500 events cost one round trip. The record is idempotent and ordered: an invoice row
changes only when the incoming event is newer (scored_at, then event id) than what is stored, and its
lines, extraction record and the vendor it teaches change only with it, so a redelivered or older event
changes no row at all; the decision history is keyed by (tenant, event id), so a redelivery adds nothing
to it. Every row is the tenant's own: an invoice is keyed by (tenant id, invoice id), since tenants pick
invoice ids upstream and may pick the same ones, and event ids (stable for replays) do not name the tenant.

A worker writes one batch at a time: the stage's source and retry agents could otherwise record two events
of one invoice at once, and the newer statement's snapshot would miss lines the older one had just added
(its surplus-line delete cannot see them). Kafka gives each partition, hence each invoice, one consumer.
Messages stay keyed by invoice id alone: two tenants' equal invoice ids then share a partition and a
consumer, which costs nothing but the spread of those few keys, and their rows stay apart here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg

from schemas import InvoiceScored
from streams.errors import RecordRefused, SinkError
from streams.sinks._protocols import VendorFact
from streams.sinks._record_rows import TraceIds, latest_per_invoice, record_batch, vendor_master_columns
from streams.sinks._record_sql import DELETE_TENANT, RECORD_BATCH, VENDOR_MASTER
from streams.sinks.migrations import apply_migrations

__all__ = ["PostgresRecords", "import_vendor_master", "latest_per_invoice", "open_pool"]


class PostgresRecords:
    """The record store on an asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self._one_batch_at_a_time = asyncio.Lock()

    async def write_scored(self, events: Sequence[InvoiceScored], vendors: Sequence[VendorFact] = (),
                           trace_ids: TraceIds | None = None) -> int:
        """Record a batch of scored events in one round trip; returns how many invoice rows it wrote.

        Args:
            events: The batch, in any order, redeliveries and several events per invoice included.
            vendors: Sellers the batch's auto-approved events teach, tied to them by event id.
            trace_ids: The trace id each event's message carried, by (tenant id, event id), if any.
        """
        if not events:
            return 0
        batch = record_batch(events, vendors, trace_ids)
        try:
            async with self._one_batch_at_a_time, self.pool.acquire() as conn:
                return int(await conn.fetchval(RECORD_BATCH, *batch.arguments()))
        except asyncpg.DataError as exc:  # a value of the batch, not the server: no try will take it
            raise RecordRefused(f"postgres refused the batch: {type(exc).__name__}") from exc
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise SinkError(f"postgres write: {type(exc).__name__}") from exc

    async def import_vendors(self, facts: Sequence[VendorFact]) -> int:
        """Upsert vendor-master facts in one round trip; returns how many vendor rows changed."""
        if not facts:
            return 0
        try:
            async with self.pool.acquire() as conn:
                status = await conn.execute(VENDOR_MASTER, *vendor_master_columns(facts))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise SinkError(f"postgres vendors: {type(exc).__name__}") from exc
        return int(str(status).rsplit(" ", 1)[-1])

    async def delete_tenant(self, tenant_id: str) -> int:
        """Delete every record of a tenant (invoices, lines, extractions, decisions, vendors, dead letters, reviews);
        returns invoices.

        The tables have no cascading foreign keys, so this is the one place that knows them all.
        """
        try:
            async with self.pool.acquire() as conn:
                return int(await conn.fetchval(DELETE_TENANT, tenant_id))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise SinkError(f"postgres delete: {type(exc).__name__}") from exc


async def open_pool(dsn: str, max_size: int) -> Any:
    """An asyncpg pool with the migrations applied."""
    try:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, command_timeout=30)
        async with pool.acquire() as conn:
            await apply_migrations(conn)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise SinkError(f"postgres at the configured DSN did not answer: {type(exc).__name__}") from exc
    return pool


async def import_vendor_master(dsn: str, facts: Sequence[VendorFact]) -> int:
    """Record an ERP vendor master in the vendors table (what `invoiceflow vendors import` calls)."""
    pool = await open_pool(dsn, 1)
    try:
        return await PostgresRecords(pool).import_vendors(facts)
    finally:
        await pool.close()
