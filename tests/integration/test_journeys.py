"""An invoice's journey from the real PostgreSQL: times, route, decisions, trace, dead letters and replays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from schemas import Decision, InvoiceScored
from streams.sinks import DeadLetterFact
from streams.sinks.dead_letters import PostgresDeadLetters
from streams.sinks.journeys import read_journey
from streams.sinks.postgres import PostgresRecords
from streams.sinks.replays import Replayed, ReplayLog
from tests.records_helpers import T0, scored

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="function")
async def tenant(pool: Any, run_id: str) -> AsyncIterator[str]:
    name = f"journey-{run_id}"
    yield name
    for t in (name, f"{name}-other"):
        await PostgresRecords(pool).delete_tenant(t)
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM dlq_replayed WHERE tenant_id = $1", name)
        await conn.execute("DELETE FROM dlq_replays WHERE replay_id = $1", f"r-{run_id}")
        assert await conn.fetchval("SELECT count(*) FROM dead_letters WHERE tenant_id = $1", name) == 0


def _journeyed(invoice: str, tenant: str, version: int, decision: Decision = Decision.AUTO_APPROVE) -> InvoiceScored:
    ev = scored(invoice, tenant, version=version, decision=decision)
    received = ev.scored_at - timedelta(seconds=2)
    return ev.model_copy(update={"received_at": received, "detected_at": received + timedelta(milliseconds=300),
                                 "extracted_at": received + timedelta(milliseconds=1500)})


def _letter(topic: str, offset: int, tenant: str | None, invoice: str | None, minutes: int) -> DeadLetterFact:
    return DeadLetterFact("extract", "paid_unavailable", topic, 1, offset, T0 + timedelta(minutes=minutes), tenant,
                          invoice)


async def test_the_journey_holds_every_stage_s_time_decision_trace_dead_letter_and_replay(
    pool: Any, tenant: str, run_id: str,
) -> None:
    first, second = _journeyed("INV-1", tenant, 1, Decision.REVIEW), _journeyed("INV-1", tenant, 2)
    twin = _journeyed("INV-1", f"{tenant}-other", 1)  # another tenant's invoice with the same id
    records = PostgresRecords(pool)
    await records.write_scored([first, twin], trace_ids={(tenant, first.event_id): "a" * 32})
    await records.write_scored([second], trace_ids={(tenant, second.event_id): "b" * 32})
    dead = PostgresDeadLetters(pool)
    letters = [_letter(f"t{run_id}.invoices.extract.retry.3", 7, tenant, "INV-1", -5),
               _letter(f"t{run_id}.invoices.extract.retry.3", 9, f"{tenant}-other", "INV-1", -4)]
    assert await dead.write_dead_letters(letters + letters[:1]) == 2
    assert await dead.write_dead_letters(letters) == 0  # written again after a crash: one row per origin
    log = ReplayLog(pool)
    await log.begin(f"r-{run_id}", f"t{run_id}.", "tester", "extract", {}, False, T0)
    await log.record(f"r-{run_id}", [Replayed((f"t{run_id}.invoices.extract.dlq", 0, 3), tenant, "INV-1",
                                              "paid_unavailable", 1)], T0 + timedelta(minutes=1))

    journey = await read_journey(pool, tenant, "INV-1")
    assert journey is not None
    assert (journey.received_at, journey.detected_at, journey.extracted_at, journey.scored_at) == (
        second.received_at, second.detected_at, second.extracted_at, second.scored_at)
    assert journey.stage_times is not None
    assert (journey.stage_times.detect_ms, journey.stage_times.extract_ms, journey.stage_times.score_ms,
            journey.stage_times.total_ms) == (300.0, 1200.0, 500.0, 2000.0)
    assert (journey.format, journey.route, journey.extractor) == (second.format.value, "structured", second.extractor)
    assert (journey.decision, journey.trace_id, journey.policy_version) == ("auto_approve", "b" * 32, "v2")
    assert [(d.decision, d.trace_id) for d in journey.decisions] == [("review", "a" * 32), ("auto_approve", "b" * 32)]
    assert [r.code for r in journey.decisions[0].reasons] == ["new_vendor"]
    assert [(d.stage, d.reason, d.offset) for d in journey.dead_letters] == [("extract", "paid_unavailable", 7)]
    assert [(r.replay_id, r.offset, r.replays) for r in journey.replays] == [(f"r-{run_id}", 3, 1)]
    assert journey.cost_usd == Decimal(0) and journey.paid_pages == 0
    other = await read_journey(pool, f"{tenant}-other", "INV-1")
    assert other is not None and [d.offset for d in other.dead_letters] == [9] and other.replays == ()


async def test_an_invoice_never_scored_has_the_journey_of_its_dead_letters_and_an_unknown_one_none(
    pool: Any, tenant: str, run_id: str,
) -> None:
    await PostgresDeadLetters(pool).write_dead_letters([_letter(f"t{run_id}.invoices.received", 1, tenant, "X", 0)])
    journey = await read_journey(pool, tenant, "X")
    assert journey is not None and journey.scored_at is None and journey.stage_times is None
    assert journey.decisions == () and len(journey.dead_letters) == 1
    assert await read_journey(pool, tenant, "nothing-here") is None


async def test_a_dead_letter_whose_ids_hold_a_nul_is_recorded(pool: Any, tenant: str, run_id: str) -> None:
    # a hostile payload's ids, as the dead letter peeks them: PostgreSQL stores no NUL, the record keeps the rest
    letter = _letter(f"t{run_id}.invoices.received", 5, f"{tenant}\x00", "X\x00Y", 0)
    assert await PostgresDeadLetters(pool).write_dead_letters([letter]) == 1
    async with pool.acquire() as conn:
        got = await conn.fetchrow("SELECT tenant_id, invoice_id FROM dead_letters WHERE topic = $1", letter.topic)
        await conn.execute("DELETE FROM dead_letters WHERE topic = $1", letter.topic)
    assert (got["tenant_id"], got["invoice_id"]) == (f"{tenant}\ufffd", "X\ufffdY")
