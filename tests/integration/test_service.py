"""`invoiceflow serve` against the real Redis, PostgreSQL and Kafka: every endpoint and every token case.

Each test gets its own topic prefix (Redis namespace) and tenants, makes real tokens in PostgreSQL, and drives
a fresh app through its lifespan with httpx's ASGI transport; the last one runs it under uvicorn on a
loopback port, as `invoiceflow serve` does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi import FastAPI

from agents.aggregate import aggregate
from config.settings import Settings
from schemas import Decision, HealthResponse, InvoiceJourney, MetricsResponse
from streams.service import create_service
from streams.service._state import ServiceState
from streams.sinks import DeadLetterFact
from streams.sinks.postgres import PostgresRecords
from streams.sinks.redis import RedisStores
from streams.sinks.tokens import TokenStore
from tests.integration.service_helpers import serving
from tests.records_helpers import scored

pytestmark = pytest.mark.integration


@dataclass
class Api:
    """A running app, its client, its state and the tokens made for the test."""

    app: FastAPI
    client: httpx.AsyncClient
    state: ServiceState
    tenants: tuple[str, str]
    tokens: dict[str, str]
    token_ids: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def _running(settings: Settings) -> tuple[FastAPI, Any, ServiceState]:
    app = create_service(settings)
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    state: ServiceState = app.state.invoiceflow
    for _ in range(100):  # the first token load runs in the background
        if state.tokens.age_s() < float("inf"):
            break
        await asyncio.sleep(0.05)
    return app, lifespan, state


@pytest_asyncio.fixture(loop_scope="function")
async def api(settings: Settings, pool: Any, stores: RedisStores, run_id: str) -> AsyncIterator[Api]:
    tenants = (f"svc-a-{run_id}", f"svc-b-{run_id}")
    store = TokenStore(pool)
    made = {name: await store.add(tenant, "test") for name, tenant in zip(("a", "b"), tenants, strict=True)}
    made["admin"] = await store.add(None, "test admin")
    app, lifespan, state = await _running(settings)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")
    try:
        yield Api(app, client, state, tenants, {k: v[1] for k, v in made.items()},
                  {k: v[0].token_id for k, v in made.items()})
    finally:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)
        for info, _ in made.values():
            await store.delete(info.token_id)
        for tenant in tenants:
            await PostgresRecords(pool).delete_tenant(tenant)


def _recent(invoice: str, tenant: str, decision: Decision = Decision.AUTO_APPROVE, ago_s: int = 120) -> Any:
    at = datetime.now(UTC) - timedelta(seconds=ago_s)
    return scored(invoice, tenant, decision=decision).model_copy(
        update={"scored_at": at, "received_at": at - timedelta(milliseconds=180)})


async def _count(stores: RedisStores, api: Api) -> None:
    a, b = api.tenants
    events = [_recent(f"a{n}", a) for n in range(3)] + [_recent("a3", a, Decision.REVIEW)] + [_recent("b0", b)]
    await stores.apply([aggregate(ev) for ev in events])
    await stores.count_dead_letters([DeadLetterFact("detect", "document_missing", "x", 0, 1,
                                                    datetime.now(UTC) - timedelta(seconds=60), b, "b9")])


async def test_metrics_need_a_token_and_a_tenant_token_sees_its_own_tenant_only(api: Api,
                                                                                  stores: RedisStores) -> None:
    await _count(stores, api)
    a, b = api.tenants
    missing = await api.client.get("/api/v1/metrics")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert (await api.client.get("/api/v1/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await api.client.get("/api/v1/metrics", headers={"Authorization": api.tokens["a"]})).status_code == 401

    own = await api.client.get("/api/v1/metrics", headers=api.auth("a"))
    assert own.status_code == 200 and own.headers["content-type"] == "application/json"
    answer = MetricsResponse.model_validate(own.json())
    assert answer.tenant == a and answer.window == "minute"
    assert answer.totals.scored == 4 and answer.totals.touchless == 3 and answer.totals.touchless_rate == 0.75
    assert answer.totals.decisions == {"auto_approve": 3, "review": 1}
    assert answer.totals.latency.count == 4 and answer.totals.latency.p50_ms is not None
    assert answer.to - answer.from_ == timedelta(hours=1) and len(answer.series) == 1
    same = await api.client.get("/api/v1/metrics", params={"tenant": a}, headers=api.auth("a"))
    assert same.status_code == 200 and same.content == own.content  # unchanged: the same answer again
    assert (await api.client.get("/api/v1/metrics", params={"tenant": b}, headers=api.auth("a"))).status_code == 403
    theirs = MetricsResponse.model_validate((await api.client.get("/api/v1/metrics", headers=api.auth("b"))).json())
    assert theirs.tenant == b and theirs.totals.scored == 1
    assert theirs.totals.dead_letters.by_stage == {"detect": {"document_missing": 1}}


async def test_an_admin_reads_any_tenant_or_all_of_them_together(api: Api, stores: RedisStores) -> None:
    await _count(stores, api)
    everyone = MetricsResponse.model_validate((await api.client.get(
        "/api/v1/metrics", params={"window": "hour"}, headers=api.auth("admin"))).json())
    assert everyone.tenant is None and everyone.totals.scored == 5 and everyone.totals.dead_letters.total == 1
    one = MetricsResponse.model_validate((await api.client.get(
        "/api/v1/metrics", params={"window": "day", "tenant": api.tenants[1]}, headers=api.auth("admin"))).json())
    assert one.tenant == api.tenants[1] and one.totals.scored == 1 and len(one.series) == 1


async def test_a_range_is_read_as_given_and_bad_parameters_are_refused(api: Api, stores: RedisStores) -> None:
    await _count(stores, api)
    now = int(time.time())
    ranged = await api.client.get("/api/v1/metrics", headers=api.auth("a"),
                                  params={"from": str(now - 3600), "to": datetime.fromtimestamp(now, UTC).isoformat()})
    assert ranged.status_code == 200 and MetricsResponse.model_validate(ranged.json()).totals.scored == 4
    empty = await api.client.get("/api/v1/metrics", headers=api.auth("a"),
                                 params={"from": str(now - 7200), "to": str(now - 3600)})
    assert MetricsResponse.model_validate(empty.json()).series == ()
    for params in ({"window": "week"}, {"from": "yesterday"}, {"from": str(now), "to": str(now - 60)},
                   {"from": str(now - 3 * 86400), "to": str(now)}):
        got = await api.client.get("/api/v1/metrics", headers=api.auth("a"), params=params)
        assert got.status_code == 422, params


async def test_the_metrics_path_needs_no_postgresql(api: Api, stores: RedisStores) -> None:
    await _count(stores, api)
    await api.state.pool.close()  # PostgreSQL gone for this service
    assert (await api.client.get("/api/v1/metrics", headers=api.auth("a"))).status_code == 200
    journey = await api.client.get("/api/v1/invoices/a0", headers=api.auth("a"))
    assert journey.status_code == 503 and journey.json() == {"detail": "sink_error"}


async def test_a_revoked_token_is_refused_after_the_next_refresh(api: Api, pool: Any) -> None:
    assert (await api.client.get("/api/v1/metrics", headers=api.auth("b"))).status_code == 200
    assert await TokenStore(pool).revoke(api.token_ids["b"])
    await api.state.refresh_tokens()
    assert (await api.client.get("/api/v1/metrics", headers=api.auth("b"))).status_code == 401


async def test_an_invoice_journey_for_its_tenant_and_the_admin_who_names_it(api: Api, pool: Any) -> None:
    a, b = api.tenants
    await PostgresRecords(pool).write_scored([_recent("INV-7", a), _recent("INV-7", b, Decision.REJECT)])
    mine = await api.client.get("/api/v1/invoices/INV-7", headers=api.auth("a"))
    assert mine.status_code == 200
    journey = InvoiceJourney.model_validate(mine.json())
    assert journey.tenant_id == a and journey.decision == "auto_approve" and len(journey.decisions) == 1
    assert (await api.client.get("/api/v1/invoices/INV-7", params={"tenant": b},
                                 headers=api.auth("a"))).status_code == 403
    assert (await api.client.get("/api/v1/invoices/INV-7", headers=api.auth("admin"))).status_code == 400
    theirs = await api.client.get("/api/v1/invoices/INV-7", params={"tenant": b}, headers=api.auth("admin"))
    assert InvoiceJourney.model_validate(theirs.json()).decision == "reject"
    assert (await api.client.get("/api/v1/invoices/INV-8", headers=api.auth("a"))).status_code == 404
    assert (await api.client.get("/api/v1/invoices/INV-7")).status_code == 401


async def test_health_live_and_ready_and_ready_says_which_dependency_is_missing(api: Api, settings: Settings) -> None:
    live = await api.client.get("/health/live")
    assert live.status_code == 200 and live.json() == {"status": "ok", "checks": {}}
    for _ in range(100):  # the live feed's consumer takes its topics in the background
        ready = await api.client.get("/health/ready")
        if ready.status_code == 200:
            break
        await asyncio.sleep(0.2)
    health = HealthResponse.model_validate(ready.json())
    assert ready.status_code == 200 and health.status == "ok"
    assert set(health.checks) == {"redis", "postgres", "kafka", "live_feed"}

    broken = replace_settings(settings, kafka_bootstrap="127.0.0.1:9", redis_url="redis://127.0.0.1:9/0",
                              service_check_timeout_s=0.5)
    app, lifespan, _ = await _running(broken)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            start = time.monotonic()
            answer = await client.get("/health/ready")
            took = time.monotonic() - start
    finally:
        await lifespan.__aexit__(None, None, None)
    health = HealthResponse.model_validate(answer.json())
    assert answer.status_code == 503 and health.status == "unavailable"
    assert not health.checks["kafka"].ok and not health.checks["redis"].ok and health.checks["postgres"].ok
    assert not health.checks["live_feed"].ok
    assert health.checks["kafka"].reason and "127.0.0.1" not in answer.text  # why, but no addresses
    assert took < 3  # each check is bounded


def replace_settings(settings: Settings, **changes: Any) -> Settings:
    """The settings with some fields changed (validated again)."""
    return Settings(**{**settings.model_dump(), **changes})


async def test_prometheus_counts_requests_by_route_and_status_per_app(api: Api, settings: Settings) -> None:
    await api.client.get("/api/v1/metrics", headers=api.auth("a"))
    await api.client.get("/api/v1/metrics")
    await api.client.get("/api/v1/invoices/nothing", headers=api.auth("a"))
    await api.client.get("/no/such/path")
    text = (await api.client.get("/metrics")).text
    assert 'invoiceflow_api_requests_total{method="GET",route="/api/v1/metrics",status="200"} 1.0' in text
    assert 'invoiceflow_api_requests_total{method="GET",route="/api/v1/metrics",status="401"} 1.0' in text
    assert 'route="/api/v1/invoices/{invoice_id}",status="404"} 1.0' in text
    assert 'route="unmatched",status="404"} 1.0' in text
    assert 'invoiceflow_api_request_seconds_bucket{le="0.005",route="/api/v1/metrics"}' in text
    assert "invoiceflow_api_token_cache_age_seconds" in text and "invoiceflow_api_tokens " in text
    other = create_service(settings)  # a registry of its own: nothing counted there
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://service") as client:
        assert "invoiceflow_api_requests_total{" not in (await client.get("/metrics")).text


async def test_served_by_uvicorn_on_loopback_and_no_token_is_ever_logged(
    api: Api, settings: Settings, stores: RedisStores, caplog: pytest.LogCaptureFixture,
) -> None:
    await _count(stores, api)
    caplog.set_level(logging.DEBUG)
    async with serving(settings) as base, httpx.AsyncClient(base_url=base) as client:
        assert base.startswith("http://127.0.0.1:")
        for _ in range(100):
            if (await client.get("/api/v1/metrics", headers=api.auth("a"))).status_code == 200:
                break
            await asyncio.sleep(0.05)
        answer = await client.get("/api/v1/metrics", headers=api.auth("a"))
        refused = await client.get("/api/v1/metrics", headers={"Authorization": "Bearer ifl_not-a-real-one"})
    assert answer.status_code == 200 and orjson.loads(answer.content)["totals"]["scored"] == 4
    assert refused.status_code == 401
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert api.tokens["a"] not in logged and "ifl_not-a-real-one" not in logged
