"""The record store on the real PostgreSQL: one statement per batch, idempotent, ordered per invoice.

Each test writes to its own tenant and compares full dumps of that tenant's rows in every record table,
row versions (xmin) included, so a row rewritten with identical values would show as a change too.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from agents.aggregate import vendors_learned
from agents.vendors import vendor_facts
from schemas import Decision, InvoiceScored
from streams.sinks.postgres import PostgresRecords
from tests.records_helpers import RECORD_TABLES, dump, scored
from tools.bench.sinks import rows_of

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="function")
async def tenant(pool: Any, run_id: str) -> AsyncIterator[str]:
    name = f"records-{run_id}"
    yield name
    await PostgresRecords(pool).delete_tenant(name)
    assert await _dump(pool, name) == {table: [] for table in RECORD_TABLES}


async def _write(pool: Any, events: list[InvoiceScored]) -> int:
    return await PostgresRecords(pool).write_scored(events, vendors_learned(events))


async def _dump(pool: Any, tenant: str, tables: tuple[str, ...] = RECORD_TABLES) -> dict[str, list[str]]:
    async with pool.acquire() as conn:
        return await dump(conn, tenant, tables)


def _history(tenant: str) -> list[InvoiceScored]:
    """40 invoices, some scored twice, one approved then reviewed, with lines and approvals."""
    events = [scored(f"{tenant}-{n}", tenant, lines=n % 6, decision=Decision.AUTO_APPROVE if n % 3 else
                     Decision.REVIEW, vat_id=f"DE{100000000 + n % 4}") for n in range(40)]
    events += [scored(f"{tenant}-{n}", tenant, version=2, lines=1, decision=Decision.REVIEW) for n in range(0, 40, 7)]
    return events


async def test_a_batch_lands_in_every_table(pool: Any, tenant: str) -> None:
    events = _history(tenant)
    assert await _write(pool, events) == 40
    async with pool.acquire() as conn:
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t} WHERE tenant_id = $1", tenant)
                  for t in RECORD_TABLES}
        lines = await conn.fetch("SELECT line_no, line_id FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2"
                                 " ORDER BY 1", tenant, f"{tenant}-5")
        extraction = await conn.fetchrow("SELECT * FROM invoice_extractions WHERE tenant_id = $1 AND invoice_id = $2",
                                         tenant, f"{tenant}-5")
        vendor = await conn.fetchrow("SELECT * FROM vendors WHERE tenant_id = $1 AND seller_key = $2",
                                     tenant, "vat:DE100000001")
    newest = {ev.invoice_id: ev for ev in events}  # version 2 comes last
    assert counts == {
        "invoices": 40, "decisions": len(events), "invoice_extractions": 40,
        "invoice_lines": sum(len(ev.invoice.lines) for ev in newest.values() if ev.invoice),
        "vendors": 4,
    }
    assert [(r["line_no"], r["line_id"]) for r in lines] == [(n, f"1.{n}") for n in range(1, 6)]
    assert extraction["extractor"] == "ubl" and extraction["format"] == "ubl"
    assert extraction["confidences"] == '{"amount_due": 1.0, "invoice_number": 0.91}'
    approved = [ev for ev in newest.values() if ev.decision is Decision.AUTO_APPROVE
                and ev.invoice and ev.invoice.seller.vat_id == "DE100000001"]
    assert vendor["invoice_count"] == len(approved) > 0
    assert vendor["iban"] == "DE89370400440532013000" and vendor["name"] == "Lieferant GmbH"


async def test_redelivering_batches_leaves_every_table_unchanged(pool: Any, tenant: str) -> None:
    events = _history(tenant)
    await _write(pool, events)
    before = await _dump(pool, tenant)
    assert await _write(pool, events) == 0
    shuffled = random.Random(5).sample(events, len(events))
    for start in range(0, len(shuffled), 7):  # other batch boundaries, other order
        assert await _write(pool, shuffled[start:start + 7]) == 0
    assert await _dump(pool, tenant) == before


async def test_an_older_event_after_a_newer_one_changes_no_state(pool: Any, tenant: str) -> None:
    invoice = f"{tenant}-x"
    newer = scored(invoice, tenant, version=3, lines=2, decision=Decision.REVIEW, iban="DE02120300000000202051")
    older = scored(invoice, tenant, version=1, lines=5, decision=Decision.AUTO_APPROVE)
    assert await _write(pool, [newer]) == 1
    state = ("invoices", "invoice_lines", "invoice_extractions", "vendors")
    before = await _dump(pool, tenant, state)
    assert await _write(pool, [older]) == 0
    assert await _dump(pool, tenant, state) == before
    async with pool.acquire() as conn:
        history = await conn.fetch("SELECT event_id FROM decisions WHERE tenant_id = $1 AND invoice_id = $2",
                                   tenant, invoice)
        row = await conn.fetchrow("SELECT event_id, decision FROM invoices WHERE tenant_id = $1 AND invoice_id = $2",
                                  tenant, invoice)
    assert {r["event_id"] for r in history} == {newer.event_id, older.event_id}  # the history has both
    assert (row["event_id"], row["decision"]) == (newer.event_id, "review")


async def test_lines_follow_the_newest_state(pool: Any, tenant: str) -> None:
    invoice = f"{tenant}-l"

    async def lines() -> list[tuple[int, str]]:
        async with pool.acquire() as conn:
            rows = await conn.fetch("SELECT line_no, line_id FROM invoice_lines"
                                    " WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY 1", tenant, invoice)
        return [(r["line_no"], r["line_id"]) for r in rows]

    await _write(pool, [scored(invoice, tenant, version=1, lines=5)])
    assert await lines() == [(n, f"1.{n}") for n in range(1, 6)]
    await _write(pool, [scored(invoice, tenant, version=2, lines=2)])
    assert await lines() == [(1, "2.1"), (2, "2.2")]
    await _write(pool, [scored(invoice, tenant, version=4, lines=3), scored(invoice, tenant, version=3, lines=6)])
    assert await lines() == [(1, "4.1"), (2, "4.2"), (3, "4.3")]
    await _write(pool, [scored(invoice, tenant, version=5, lines=0)])
    assert await lines() == []


async def test_a_vendor_counts_each_invoice_that_became_approved_once(pool: Any, tenant: str) -> None:
    a1, b1 = scored(f"{tenant}-a", tenant, version=1), scored(f"{tenant}-b", tenant, version=1)
    a2 = scored(f"{tenant}-a", tenant, version=2, iban="DE02120300000000202051")  # approved again, new IBAN
    await _write(pool, [a1, b1])
    await _write(pool, [a2, a1, b1])
    async with pool.acquire() as conn:
        v = await conn.fetchrow("SELECT * FROM vendors WHERE tenant_id = $1", tenant)
    assert v["invoice_count"] == 2
    assert v["iban"] == "DE02120300000000202051"
    assert (v["first_seen"], v["last_approved_at"]) == (a1.scored_at, a2.scored_at)


async def test_vendor_master_import_lands_once(pool: Any, tenant: str) -> None:
    rows = [{"vat_id": "DE136695976", "name": "Lieferant GmbH", "iban": "DE89370400440532013000"},
            {"name": "Kleinbetrieb", "iban": ""}]
    store = PostgresRecords(pool)
    assert await store.import_vendors(vendor_facts(tenant, iter(rows))) == 3
    before = await _dump(pool, tenant, ("vendors",))
    assert await store.import_vendors(vendor_facts(tenant, iter(rows))) == 0
    assert await _dump(pool, tenant, ("vendors",)) == before
    await _write(pool, [scored(f"{tenant}-a", tenant)])  # an approval of the imported vendor counts
    async with pool.acquire() as conn:
        v = await conn.fetchrow("SELECT * FROM vendors WHERE tenant_id = $1 AND seller_key = $2",
                                tenant, "vat:DE136695976")
    assert (v["invoice_count"], v["name"], v["iban"]) == (1, "Lieferant GmbH", "DE89370400440532013000")


async def test_the_benchmark_s_naive_writer_persists_the_same_rows(pool: Any, tenant: str) -> None:
    events = [scored(f"{tenant}-{n}", tenant, lines=n % 4, decision=Decision.REVIEW if n % 2 else
                     Decision.AUTO_APPROVE) for n in range(6)]
    nothing_read = {"invoice_id": f"{tenant}-none", "event_id": f"{tenant}-none", "invoice": None}
    events.append(events[0].model_copy(update=nothing_read))

    async def content() -> list[str]:
        rows: list[str] = []
        async with pool.acquire() as conn:
            for table in ("invoices", "invoice_lines", "invoice_extractions", "decisions"):
                rows += [f"{table} {r[0]}" for r in await conn.fetch(
                    f"SELECT (to_jsonb(t) - 'written_at')::text FROM {table} t WHERE tenant_id = $1 ORDER BY 1",
                    tenant)]
        await PostgresRecords(pool).delete_tenant(tenant)
        return rows

    await PostgresRecords(pool).write_scored(events)
    batched = await content()
    async with pool.acquire() as conn:
        for sql, values in rows_of(events):
            await conn.execute(sql, *values)
    assert await content() == batched
    assert len(batched) == 3 * len(events) + sum(n % 4 for n in range(6))


async def test_a_nul_anywhere_is_recorded_as_the_replacement_character(pool: Any, tenant: str) -> None:
    # PostgreSQL stores no NUL (text) nor its escape (jsonb): a batch carrying one would fail on every try
    base = scored(f"{tenant}-n\x00ul", tenant, decision=Decision.AUTO_APPROVE)
    assert base.invoice is not None
    invoice = base.invoice.model_copy(update={
        "invoice_number": "R-\x001", "seller": base.invoice.seller.model_copy(update={"name": "Acme\x00 GmbH"}),
        "lines": (base.invoice.lines[0].model_copy(update={"description": "bolt\x00"}),)})
    event = base.model_copy(update={"invoice": invoice})
    assert await _write(pool, [event, scored(f"{tenant}-plain", tenant, vat_id="DE999999999")]) == 2
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT invoice_id, invoice_number FROM invoices WHERE tenant_id = $1 AND "
                                  "invoice_id LIKE '%n_ul'", tenant)
        line = await conn.fetchval("SELECT description FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2",
                                   tenant, row["invoice_id"])
        seller = await conn.fetchval("SELECT name FROM vendors WHERE tenant_id = $1 AND name LIKE 'Acme%'", tenant)
    assert (row["invoice_id"], row["invoice_number"], line) == (f"{tenant}-n\ufffdul", "R-\ufffd1", "bolt\ufffd")
    assert seller == "Acme\ufffd GmbH"  # an auto-approved invoice teaches its seller, name and all
