"""Two tenants that send the same invoice id keep their own records, on the real PostgreSQL and Redis.

Invoice ids are picked per tenant upstream, so collisions across tenants are normal, and event ids do not
name the tenant (stable for replays), so the two tenants' events carry equal event ids all the way down.
Each test writes such twins for a pair of its own tenants and compares full dumps of each tenant's rows,
row versions (xmin) included, so a row rewritten or taken over by the other tenant shows. The last test
applies migration 0004 to tables of the former schema that already hold rows, in a scratch schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from agents.aggregate import aggregate, vendors_learned
from config.settings import Settings
from schemas import Decision, InvoiceScored
from streams.sinks.migrations import apply_migrations, migration_files
from streams.sinks.postgres import PostgresRecords
from streams.sinks.redis import RedisStores
from tests.records_helpers import RECORD_TABLES, dump, scored
from tools.bench.sinks import rows_of

pytestmark = pytest.mark.integration

Pair = tuple[str, str]


@pytest_asyncio.fixture(loop_scope="function")
async def tenants(pool: Any, run_id: str) -> AsyncIterator[Pair]:
    pair = (f"keys-a-{run_id}", f"keys-b-{run_id}")
    yield pair
    for name in pair:
        await PostgresRecords(pool).delete_tenant(name)
        assert await _dump(pool, name) == {table: [] for table in RECORD_TABLES}


async def _write(pool: Any, events: list[InvoiceScored]) -> int:
    return await PostgresRecords(pool).write_scored(events, vendors_learned(events))


async def _dump(pool: Any, tenant: str, tables: tuple[str, ...] = RECORD_TABLES) -> dict[str, list[str]]:
    async with pool.acquire() as conn:
        return await dump(conn, tenant, tables)


def _twins(tenants: Pair, invoice_id: str, version: int = 1) -> tuple[InvoiceScored, InvoiceScored]:
    """One invoice id from both tenants, with equal event ids but different contents."""
    a = scored(invoice_id, tenants[0], version=version, lines=5, decision=Decision.AUTO_APPROVE,
               vat_id="DE100000001", iban="DE89370400440532013000")
    b = scored(invoice_id, tenants[1], version=version, lines=2, decision=Decision.REVIEW,
               vat_id="FR40303265045", iban="FR1420041010050500013M02606")
    assert a.event_id == b.event_id and a.invoice_id == b.invoice_id
    return a, b


async def _record(pool: Any, tenant: str, invoice_id: str) -> dict[str, Any]:
    """The tenant's invoice row, lines, extraction record and decisions of `invoice_id`."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT event_id, decision, seller_vat_id FROM invoices"
                                  " WHERE tenant_id = $1 AND invoice_id = $2", tenant, invoice_id)
        lines = await conn.fetch("SELECT line_no, line_id FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2"
                                 " ORDER BY line_no", tenant, invoice_id)
        extraction = await conn.fetchrow("SELECT event_id, confidences FROM invoice_extractions"
                                         " WHERE tenant_id = $1 AND invoice_id = $2", tenant, invoice_id)
        decisions = await conn.fetch("SELECT event_id, decision FROM decisions WHERE tenant_id = $1 AND invoice_id = $2"
                                     " ORDER BY scored_at", tenant, invoice_id)
    return {
        "invoice": dict(row) if row else None,
        "lines": [(r["line_no"], r["line_id"]) for r in lines],
        "extraction": dict(extraction) if extraction else None,
        "decisions": [(r["event_id"], r["decision"]) for r in decisions],
    }


def _expected(ev: InvoiceScored, *history: InvoiceScored) -> dict[str, Any]:
    assert ev.invoice is not None
    return {
        "invoice": {"event_id": ev.event_id, "decision": ev.decision.value, "seller_vat_id": ev.invoice.seller.vat_id},
        "lines": [(n, li.line_id) for n, li in enumerate(ev.invoice.lines, start=1)],
        "extraction": {"event_id": ev.event_id, "confidences": f'{{"amount_due": 1.0, "invoice_number": '
                                                               f'{ev.invoice.confidence["invoice_number"]}}}'},
        "decisions": [(e.event_id, e.decision.value) for e in (*history, ev)],
    }


async def _vendor_counts(pool: Any, tenant: str) -> dict[str, tuple[int, str | None]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT seller_key, invoice_count, iban FROM vendors WHERE tenant_id = $1", tenant)
    return {r["seller_key"]: (r["invoice_count"], r["iban"]) for r in rows}


async def test_two_tenants_write_the_same_invoice_id_in_one_batch(pool: Any, tenants: Pair) -> None:
    a, b = _twins(tenants, "INV-1")
    assert await _write(pool, [a, b]) == 2
    assert await _record(pool, tenants[0], "INV-1") == _expected(a)
    assert await _record(pool, tenants[1], "INV-1") == _expected(b)
    assert await _vendor_counts(pool, tenants[0]) == {"vat:DE100000001": (1, "DE89370400440532013000")}
    assert await _vendor_counts(pool, tenants[1]) == {}  # b's twin was not approved

    before = {t: await _dump(pool, t) for t in tenants}
    assert await _write(pool, [a, b]) == 0
    assert await _write(pool, [b]) == 0
    assert await _write(pool, [a]) == 0
    assert {t: await _dump(pool, t) for t in tenants} == before


async def test_two_tenants_write_the_same_invoice_id_in_separate_batches(pool: Any, tenants: Pair) -> None:
    a3, b3 = _twins(tenants, "INV-2", version=3)
    b1 = scored("INV-2", tenants[1], version=1, lines=4, decision=Decision.AUTO_APPROVE, vat_id="FR40303265045",
                iban="FR1420041010050500013M02606")
    assert await _write(pool, [a3]) == 1
    a_before = await _dump(pool, tenants[0])
    assert await _write(pool, [b1]) == 1  # older than a's stored event, yet b's first: b's row
    assert await _record(pool, tenants[1], "INV-2") == _expected(b1)
    assert await _write(pool, [b3]) == 1  # newer for b: replaces b's state, lines shrink from 4 to 2
    assert await _record(pool, tenants[1], "INV-2") == _expected(b3, b1)
    assert await _record(pool, tenants[0], "INV-2") == _expected(a3)
    assert await _dump(pool, tenants[0]) == a_before  # b's writes did not touch a single row of a
    assert await _vendor_counts(pool, tenants[1]) == {"vat:FR40303265045": (1, "FR1420041010050500013M02606")}

    before = {t: await _dump(pool, t) for t in tenants}
    for redelivered in ([a3], [b1], [b3], [b1, a3, b3]):
        assert await _write(pool, redelivered) == 0
    assert {t: await _dump(pool, t) for t in tenants} == before


async def test_a_tenant_s_newer_state_leaves_the_other_tenant_s_lines_alone(pool: Any, tenants: Pair) -> None:
    a1, b1 = _twins(tenants, "INV-3", version=1)  # a: 5 lines, b: 2 lines
    await _write(pool, [a1, b1])
    assert await _record(pool, tenants[1], "INV-3") == _expected(b1)
    b_before = await _dump(pool, tenants[1])
    a2 = scored("INV-3", tenants[0], version=2, lines=1, decision=Decision.REVIEW)
    assert await _write(pool, [a2]) == 1
    assert await _record(pool, tenants[0], "INV-3") == _expected(a2, a1)
    assert await _dump(pool, tenants[1]) == b_before
    # both shrink in one batch, each to its own length: a from 1 to none, b from 2 to 1
    a3 = scored("INV-3", tenants[0], version=3, lines=0, decision=Decision.REVIEW)
    b3 = scored("INV-3", tenants[1], version=3, lines=1, decision=Decision.REVIEW)
    assert await _write(pool, [a3, b3]) == 2
    assert await _record(pool, tenants[0], "INV-3") == _expected(a3, a1, a2)
    assert await _record(pool, tenants[1], "INV-3") == _expected(b3, b1)


async def test_shrinking_one_tenant_s_invoice_keeps_the_twin_the_batch_does_not_name(
    pool: Any, tenants: Pair
) -> None:
    a1, b1 = _twins(tenants, "INV-1")  # a: 5 lines, b: 2 lines
    c1 = scored("INV-2", tenants[1], version=1, lines=5)
    await _write(pool, [a1, b1, c1])
    # a's INV-1 and b's INV-2 shrink together; b's INV-1 is not in the batch and keeps its 2 lines
    a2 = scored("INV-1", tenants[0], version=2, lines=1)
    c2 = scored("INV-2", tenants[1], version=2, lines=1)
    assert await _write(pool, [a2, c2]) == 2
    assert await _record(pool, tenants[0], "INV-1") == _expected(a2, a1)
    assert await _record(pool, tenants[1], "INV-1") == _expected(b1)
    assert await _record(pool, tenants[1], "INV-2") == _expected(c2, c1)


async def test_each_tenant_s_approval_teaches_its_own_vendor_once(pool: Any, tenants: Pair) -> None:
    ibans = {tenants[0]: "DE89370400440532013000", tenants[1]: "DE02120300000000202051"}

    def approved(invoice_id: str, tenant: str, version: int = 1) -> InvoiceScored:
        return scored(invoice_id, tenant, version=version, vat_id="DE100000001", iban=ibans[tenant])

    await _write(pool, [approved("INV-1", t) for t in tenants])  # one batch, equal event ids
    await _write(pool, [approved("INV-2", tenants[0])])
    await _write(pool, [approved("INV-2", tenants[1])])  # a later batch, after the other tenant's approval
    await _write(pool, [approved("INV-1", t, version=2) for t in tenants])  # approved again: no new invoice
    await _write(pool, [approved("INV-3", tenants[0])])
    # a's INV-3 approved again while b's is approved for the first time, in one batch
    await _write(pool, [approved("INV-3", tenants[0], version=2), approved("INV-3", tenants[1])])
    for t in tenants:
        assert await _vendor_counts(pool, t) == {"vat:DE100000001": (3, ibans[t])}


async def test_decisions_hold_one_row_per_tenant_and_event(pool: Any, tenants: Pair) -> None:
    events = [ev for n in range(10) for version in (1, 2) for ev in _twins(tenants, f"INV-{n}", version)]
    assert await _write(pool, events + events) == 20
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT tenant_id, event_id FROM decisions WHERE tenant_id = ANY($1::text[])",
                                list(tenants))
    keys = [(r["tenant_id"], r["event_id"]) for r in rows]
    assert sorted(keys) == sorted((ev.tenant_id, ev.event_id) for ev in events)
    assert len({event_id for _, event_id in keys}) == 20  # every event id twice, once per tenant


async def test_deleting_a_tenant_leaves_the_other_tenant_s_rows(pool: Any, tenants: Pair) -> None:
    await _write(pool, [ev for n in range(5) for ev in _twins(tenants, f"INV-{n}")])
    b_before = await _dump(pool, tenants[1])
    assert {t: len(rows) for t, rows in b_before.items()} == {
        "invoices": 5, "invoice_lines": 10, "invoice_extractions": 5, "decisions": 5, "vendors": 0}
    assert await PostgresRecords(pool).delete_tenant(tenants[0]) == 5
    assert await _dump(pool, tenants[0]) == {table: [] for table in RECORD_TABLES}
    assert await _dump(pool, tenants[1]) == b_before


async def test_redis_counts_each_tenant_s_equal_event_ids_once(
    pool: Any, stores: RedisStores, tenants: Pair
) -> None:
    events = [ev for n in range(12) for ev in _twins(tenants, f"INV-{n}")]
    events += [scored(f"INV-b-{n}", tenants[1]) for n in range(3)]  # b has three invoices more
    for batch in (events[:7], events[7:]):  # what the aggregate stage does with each batch
        await _write(pool, batch)
        assert await stores.apply([aggregate(ev) for ev in batch]) == len(batch)
    counted = {t: (await stores.read(t))[t] for t in tenants}
    assert await stores.apply([aggregate(ev) for ev in events]) == 0  # a redelivery counts nothing
    assert {t: (await stores.read(t))[t] for t in tenants} == counted
    async with pool.acquire() as conn:
        rows = {t: await conn.fetchval("SELECT count(*) FROM invoices WHERE tenant_id = $1", t) for t in tenants}
    assert {t: c["scored"] for t, c in counted.items()} == rows == {tenants[0]: 12, tenants[1]: 15}
    assert counted[tenants[0]]["decision:auto_approve"] == 12 and counted[tenants[1]]["decision:review"] == 12


async def test_a_seen_key_of_the_former_shape_counts_once_across_the_upgrade(
    stores: RedisStores, tenants: Pair
) -> None:
    a, b = (aggregate(ev) for ev in _twins(tenants, "INV-1"))
    await stores.client.set(f"{stores.prefix}seen:{a.event_id}", "1", ex=60)  # counted before the upgrade
    assert await stores.apply([a]) == 0  # redelivered after the restart: not counted twice
    assert await stores.apply([b]) == 1  # the other tenant's equal event id counts
    assert await stores.apply([a, b]) == 0
    assert not await stores.client.exists(f"{stores.prefix}seen:{a.event_id}")
    counted = await stores.read()
    assert list(counted) == [tenants[1]] and counted[tenants[1]]["scored"] == 1


@pytest_asyncio.fixture(loop_scope="function")
async def old_schema(settings: Settings, run_id: str) -> AsyncIterator[Any]:
    """A pool whose connections see a scratch schema holding the tables as migrations 0001-0003 left them."""
    dsn, schema = settings.postgres_dsn.get_secret_value(), f"keys_{run_id}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f"CREATE SCHEMA {schema}")
    scratch = await asyncpg.create_pool(dsn, min_size=1, max_size=2, server_settings={"search_path": schema})
    try:
        async with scratch.acquire() as conn:
            await conn.execute("CREATE TABLE schema_migrations (name text PRIMARY KEY,"
                               " applied_at timestamptz NOT NULL DEFAULT now())")
            for name, sql in migration_files():
                if name < "0004":
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
        yield scratch
    finally:
        await scratch.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


_PRIMARY_KEYS = """
SELECT c.conrelid::regclass::text AS tbl, pg_get_constraintdef(c.oid) AS def, c.conindid AS index
FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
WHERE c.contype = 'p' AND r.relnamespace = current_schema()::regnamespace
  AND r.relname IN ('invoices', 'invoice_extractions', 'invoice_lines', 'decisions')
ORDER BY 1
"""


async def test_migration_0004_keys_stored_rows_by_tenant(old_schema: Any) -> None:
    stored = [scored(f"INV-{n}", "keys-a", version=1, lines=n % 4) for n in range(6)]
    async with old_schema.acquire() as conn:
        for sql, values in rows_of(stored, journey=False):  # rows as the former statement left them
            await conn.execute(sql, *values)
        before = await dump(conn, "keys-a")
        assert (await apply_migrations(conn))[0] == "0004_tenant_keys.sql"  # and any later ones
        keys = await conn.fetch(_PRIMARY_KEYS)
        indexes = {r["indexname"]: r["indexdef"].split(" USING ")[1] for r in await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = 'decisions'")}
        assert await dump(conn, "keys-a") == before  # rows kept as they were, not even rewritten
        assert await apply_migrations(conn) == []
        await conn.execute(dict(migration_files())["0004_tenant_keys.sql"])  # a second run changes nothing
        assert await conn.fetch(_PRIMARY_KEYS) == keys
    assert {r["tbl"]: r["def"] for r in keys} == {
        "decisions": "PRIMARY KEY (tenant_id, event_id)",
        "invoice_extractions": "PRIMARY KEY (tenant_id, invoice_id)",
        "invoice_lines": "PRIMARY KEY (tenant_id, invoice_id, line_no)",
        "invoices": "PRIMARY KEY (tenant_id, invoice_id)",
    }
    assert indexes == {"decisions_pkey": "btree (tenant_id, event_id)",
                       "decisions_tenant_invoice": "btree (tenant_id, invoice_id, scored_at)"}

    assert await _write(old_schema, stored) == 0  # redelivered after the upgrade: still known
    async with old_schema.acquire() as conn:
        assert await dump(conn, "keys-a") == before
    twins = [scored(f"INV-{n}", "keys-b", version=1, lines=2) for n in range(6)]
    assert await _write(old_schema, twins) == 6
    async with old_schema.acquire() as conn:
        assert await dump(conn, "keys-a") == before
        assert len((await dump(conn, "keys-b"))["invoices"]) == 6
