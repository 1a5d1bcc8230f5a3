"""The metrics API's totals equal what PostgreSQL holds, after redeliveries and a crash between the two writes.

A few hundred scored events of two tenants go through the aggregate stage's real handler with real Resources
(PostgreSQL and Redis), batch after batch; some batches are delivered two and three times, one overlaps
the batch before it, and one is recorded in PostgreSQL alone first, as when a worker dies between the two
writes and its successor reads the batch again. Dead letters are written to both stores the same way. Then
the API's totals per tenant, read with each tenant's token, are compared with GROUP BY queries on the records.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio

from agents.aggregate import aggregate_agent
from agents.context import StageContext
from config.settings import Settings
from schemas import Cost, Decision, DocumentFormat, InvoiceScored, MetricsResponse, Reason, Route
from streams.codecs import encode
from streams.service import create_service
from streams.sinks import DeadLetterFact
from streams.sinks.dead_letters import PostgresDeadLetters
from streams.sinks.postgres import PostgresRecords
from streams.sinks.redis import RedisStores
from streams.sinks.tokens import TokenStore
from streams.stage import Inbound
from tests.records_helpers import scored

pytestmark = pytest.mark.integration

_KINDS = ((DocumentFormat.UBL, Route.STRUCTURED, "ubl", 0), (DocumentFormat.CII, Route.STRUCTURED, "cii", 0),
          (DocumentFormat.TEXT_PDF, Route.TEXT, "text", 0),
          (DocumentFormat.SCANNED_PDF, Route.OCR, "azure:prebuilt-invoice", 2))
_REASONS = ("new_vendor", "low_confidence", "amount_mismatch")


def _events(tenant: str, count: int, rng: random.Random) -> list[InvoiceScored]:
    """`count` invoices of `tenant` scored in the last half hour, a tenth of them scored twice (a rescore)."""
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for n in range(count):
        fmt, route, extractor, pages = rng.choice(_KINDS)
        received = now - timedelta(seconds=rng.randint(60, 1800))
        for version in (1, 2) if n % 10 == 0 else (1,):
            decision = rng.choice([Decision.AUTO_APPROVE] * 6 + [Decision.REVIEW, Decision.REJECT])
            reasons = tuple(Reason(code=c, message="m") for c in rng.sample(_REASONS, rng.randint(1, 2))
                            ) if decision is not Decision.AUTO_APPROVE else ()
            ev = scored(f"INV-{n}", tenant, version=version, decision=decision)
            out.append(ev.model_copy(update={
                "format": fmt, "route": route, "extractor": extractor, "reasons": reasons,
                "cost": Cost(pages=pages, usd=Decimal("0.01") * pages, model="prebuilt-invoice" if pages else None),
                "received_at": received,
                "scored_at": received + timedelta(milliseconds=rng.randint(50, 4000) + 1000 * (version - 1)),
            }))
    return out


def _inbound(events: Sequence[InvoiceScored], first_offset: int) -> list[Inbound]:
    return [Inbound(ev.invoice_id.encode(), encode(ev), [], "p.invoices.scored", 0, first_offset + i, 0, [])
            for i, ev in enumerate(events)]


@pytest_asyncio.fixture(loop_scope="function")
async def tenants(pool: Any, run_id: str) -> AsyncIterator[tuple[str, str]]:
    pair = (f"match-a-{run_id}", f"match-b-{run_id}")
    yield pair
    for tenant in pair:
        await PostgresRecords(pool).delete_tenant(tenant)


async def _deliver(settings: Settings, pool: Any, events: list[InvoiceScored]) -> None:
    """Through the aggregate handler, the way a worker redelivers after crashes."""
    ctx = StageContext.create(settings)
    handle = aggregate_agent(ctx)
    try:
        batches = [events[i:i + 50] for i in range(0, len(events), 50)]
        for n, batch in enumerate(batches):
            msgs = _inbound(batch, n * 50)
            if n == 2:  # the worker died after recording the batch, before counting it
                await PostgresRecords(pool).write_scored(batch)
            for _ in range(1 + n % 3):  # delivered once, twice or three times
                assert all(o == () for o in await handle(msgs))
            if n == 3:  # the next fetch started before the commit: an overlapping batch
                assert all(o == () for o in await handle(_inbound(batches[n - 1][25:] + batch[:25], 0)))
    finally:
        await ctx.resources.close()


async def _dead_letters(pool: Any, stores: RedisStores, tenants: tuple[str, str], rng: random.Random) -> None:
    now = datetime.now(UTC)
    letters = [DeadLetterFact(rng.choice(("detect", "extract", "score")),
                              rng.choice(("document_missing", "schema_error")), "p.invoices.received", n % 3, n,
                              now - timedelta(seconds=n), tenants[n % 2], f"D-{n}") for n in range(40)]
    for chunk in (letters[:25], letters[10:], letters):  # written again after crashes
        await PostgresDeadLetters(pool).write_dead_letters(chunk)
        await stores.count_dead_letters(chunk)


_FROM_RECORDS = {
    "decisions": "SELECT decision AS k, count(*) AS n FROM decisions WHERE tenant_id = $1 GROUP BY 1",
    "formats": "SELECT i.format AS k, count(*) AS n FROM decisions d JOIN invoices i USING (tenant_id, invoice_id)"
               " WHERE d.tenant_id = $1 GROUP BY 1",
    "extractors": "SELECT i.extractor AS k, count(*) AS n FROM decisions d JOIN invoices i"
                  " USING (tenant_id, invoice_id) WHERE d.tenant_id = $1 GROUP BY 1",
    "routes": "SELECT x.route AS k, count(*) AS n FROM decisions d JOIN invoice_extractions x"
              " USING (tenant_id, invoice_id) WHERE d.tenant_id = $1 GROUP BY 1",
    "reasons": "SELECT r->>'code' AS k, count(DISTINCT d.event_id) AS n FROM decisions d,"
               " jsonb_array_elements(d.reasons) r WHERE d.tenant_id = $1 GROUP BY 1",
    "dead": "SELECT stage || ':' || reason AS k, count(*) AS n FROM dead_letters WHERE tenant_id = $1 GROUP BY 1",
}
_SUMS = """
SELECT count(*) AS scored, coalesce(sum(i.pages), 0) AS pages, coalesce(sum(i.cost_usd), 0) AS cost,
  coalesce(sum(round(extract(epoch FROM d.scored_at - i.received_at) * 1000)), 0) AS latency
FROM decisions d JOIN invoices i USING (tenant_id, invoice_id) WHERE d.tenant_id = $1
"""


async def _records(pool: Any, tenant: str) -> dict[str, Any]:
    async with pool.acquire() as conn:
        got: dict[str, Any] = {k: {r["k"]: r["n"] for r in await conn.fetch(sql, tenant)}
                               for k, sql in _FROM_RECORDS.items()}
        sums = await conn.fetchrow(_SUMS, tenant)
    return {**got, "scored": sums["scored"], "paid_pages": sums["pages"], "latency_ms_sum": int(sums["latency"]),
            "cost_micro_usd": int(sums["cost"] * 1_000_000)}


async def test_the_api_totals_equal_the_records_after_redeliveries_and_a_crash(
    settings: Settings, pool: Any, stores: RedisStores, tenants: tuple[str, str],
) -> None:
    rng = random.Random(12)
    events = _events(tenants[0], 180, rng) + _events(tenants[1], 140, rng)
    rng.shuffle(events)
    await _deliver(settings, pool, events)
    await _dead_letters(pool, stores, tenants, rng)

    store = TokenStore(pool)
    made = [await store.add(t, "match test") for t in tenants] + [await store.add(None, "match test admin")]
    app = create_service(settings)
    now = int(time.time())
    params = {"window": "hour", "from": str(now - 3 * 3600), "to": str(now + 3600)}
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            await app.state.invoiceflow.refresh_tokens()
            answers = []
            for (_, token) in made:
                got = await client.get("/api/v1/metrics", params=params, headers={"Authorization": f"Bearer {token}"})
                assert got.status_code == 200
                answers.append(MetricsResponse.model_validate(got.json()))
    finally:
        for info, _ in made:
            await store.delete(info.token_id)

    for tenant, answer in zip(tenants, answers, strict=False):
        totals, held = answer.totals, await _records(pool, tenant)
        assert answer.tenant == tenant and held["scored"] > 100
        assert totals.scored == held["scored"] == sum(totals.decisions.values())
        assert totals.decisions == held["decisions"] and totals.touchless == held["decisions"]["auto_approve"]
        assert totals.formats == held["formats"] and totals.extractors == held["extractors"]
        assert totals.routes == held["routes"] and totals.reasons == held["reasons"]
        assert totals.paid_pages == held["paid_pages"] and totals.cost_micro_usd == held["cost_micro_usd"]
        assert totals.latency.count == held["scored"] and totals.latency.sum_ms == held["latency_ms_sum"]
        dead = Counter({f"{stage}:{reason}": n for stage, reasons in totals.dead_letters.by_stage.items()
                        for reason, n in reasons.items()})
        assert dead == Counter(held["dead"]) and totals.dead_letters.total == sum(held["dead"].values()) == 20
    everyone = answers[2].totals
    assert answers[2].tenant is None
    assert everyone.scored == answers[0].totals.scored + answers[1].totals.scored
    assert everyone.dead_letters.total == 40
