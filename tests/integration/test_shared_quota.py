"""Several workers share one endpoint's quota through the real Redis, proven by the fake service's request log.

Three extractors are built exactly as three worker processes build them (`build_extractor` from settings,
each with its own Redis client, pool and gates) and analyze documents together against one fake endpoint
with a low quota. Shared, the log shows no 1 s window over the quota, no 429, and the quota used; with the
sharing off the same workers go over it (so the shared path is what keeps them inside). A 429 seen by one
worker pauses all of them, and an unreachable Redis falls back to a local share without failing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest

from config.settings import Settings
from streams.azure import AzureExtractor, SharedQuotas
from streams.azure._quota_math import quota_id, quota_keys
from streams.azure.factory import build_extractor
from streams.sinks.postgres import open_pool
from streams.sinks.redis import connect_redis
from tests.integration.fake_azure_helpers import analyses, fake_on_own_thread, max_in_any_window, until
from tools.fake_azure import FakeAzureDI, FakeConfig

pytestmark = pytest.mark.integration

MODEL = "prebuilt-invoice"
RATE = 5
WORKERS = 3


def doc(tag: str, i: int) -> tuple[bytes, str]:
    data = b"%PDF-1.7\n% shared quota " + f"{tag}-{i}".encode()
    return data, hashlib.sha256(data).hexdigest()


@asynccontextmanager
async def workers(fake: FakeAzureDI, key: str, shared: bool) -> AsyncIterator[list[AzureExtractor]]:
    """Three extractors as three worker processes would build them: own settings, Redis client, pool, gates."""
    endpoint = {"name": "fake", "url": fake.url, "key": key, "analyze_rps": RATE, "get_rps": 50}
    settings = Settings(azure_endpoints=[endpoint], azure_poll_interval_s=0.1, azure_shared_quota=shared)
    async with AsyncExitStack() as stack:
        pg = await open_pool(settings.postgres_dsn.get_secret_value(), 2)
        stack.push_async_callback(pg.close)
        built = []
        for _ in range(WORKERS):
            redis = connect_redis(settings.redis_url.get_secret_value())
            stack.push_async_callback(redis.aclose)
            extractor = build_extractor(settings, pg, {}, redis)
            assert extractor is not None
            built.append(await stack.enter_async_context(extractor))
        yield built


async def run(extractors: list[AzureExtractor], docs: list[tuple[bytes, str]], tenant: str) -> None:
    await asyncio.gather(*(
        extractors[i % len(extractors)].analyze(data, sha256=sha, model_id=MODEL, tenant_id=tenant, budget_s=60)
        for i, (data, sha) in enumerate(docs)
    ))


@asynccontextmanager
async def fake_endpoint() -> AsyncIterator[tuple[FakeAzureDI, str]]:
    """A fake endpoint with a low analyze quota and a key of its own (so no other test shares its quota)."""
    key = f"key-{uuid.uuid4().hex}"
    async with fake_on_own_thread(FakeConfig(keys=(key,), analyze_rps=RATE, get_rps=50, latency_s=0.2)) as server:
        yield server, key


@pytest.fixture()
def tenant(stack: None) -> str:
    return f"sq-{uuid.uuid4().hex[:12]}"


def figures(fake: FakeAzureDI) -> tuple[float, int, int]:
    """(achieved accepted analyze rate, 429 count, most analyze requests in any 1 s)."""
    sent = analyses(fake)
    accepted = sorted(r.t for r in sent if r.status == 202)
    rate = (len(accepted) - 1) / (accepted[-1] - accepted[0])
    return rate, Counter(r.status for r in fake.requests)[429], max_in_any_window([r.t for r in sent])


async def test_three_workers_together_stay_inside_the_quota_and_use_it(tenant: str) -> None:
    docs = [doc(tenant, i) for i in range(100)]
    async with fake_endpoint() as (server, key), workers(server, key, shared=True) as extractors:
        await run(extractors, docs, tenant)
    rate, throttled, busiest = figures(server)
    print(f"\nshared: {rate:.2f}/s of {RATE}/s, {throttled} x 429, busiest 1 s window {busiest}")
    assert throttled == 0
    assert busiest <= RATE
    assert rate >= 0.8 * RATE
    billed = Counter(r.sha256 for r in server.accepted_analyses())
    assert set(billed) == {sha for _, sha in docs} and set(billed.values()) == {1}


async def test_without_sharing_the_same_workers_go_over_the_quota(tenant: str) -> None:
    docs = [doc(tenant, i) for i in range(40)]
    async with fake_endpoint() as (server, key), workers(server, key, shared=False) as extractors:
        await run(extractors, docs, tenant)
    rate, throttled, busiest = figures(server)
    print(f"\nnot shared: {rate:.2f}/s of {RATE}/s, {throttled} x 429, busiest 1 s window {busiest}")
    assert throttled > 0
    assert busiest > RATE


async def test_a_429_seen_by_one_worker_pauses_them_all(tenant: str) -> None:
    docs = [doc(tenant, i) for i in range(30)]
    async with fake_endpoint() as (server, key), workers(server, key, shared=True) as extractors:
        task = asyncio.create_task(run(extractors, docs, tenant))
        await until(lambda: len(server.accepted_analyses()) >= 8, timeout_s=10)  # all are backlogged by now
        server.inject("analyze", [429])  # the next analyze, whoever sends it, answers 429 + Retry-After: 1
        await task
    sent = analyses(server)
    refused = [r for r in sent if r.status == 429]
    assert len(refused) == 1
    after = [r.t for r in sent if r.t > refused[0].t]
    gap = min(after) - refused[0].t
    print(f"\nfirst analyze after the 429 (Retry-After: 1): {gap:.3f} s later")
    assert gap >= 0.95  # backlogged, they would have sent ~5 calls in that second: every worker held off
    assert max_in_any_window([r.t for r in sent]) <= RATE


async def test_redis_window_is_shared_spaced_and_expires(stack: None) -> None:
    url, key = "https://shared.example", f"key-{uuid.uuid4().hex}"
    clients = [connect_redis(Settings().redis_url.get_secret_value()) for _ in range(3)]
    try:
        quotas = [SharedQuotas(c).quota(url, key, "analyze", 3.0) for c in clients]
        stamps: list[float] = []

        async def hammer(quota: Any, until: float) -> None:
            while time.monotonic() < until:
                verdict = await quota.admit()
                if verdict.wait_s > 0:
                    await asyncio.sleep(verdict.wait_s)
                else:
                    stamps.append(time.monotonic())

        until = time.monotonic() + 3.0
        await asyncio.gather(*(hammer(q, until) for q in quotas))
        gaps = [b - a for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)]
        assert max_in_any_window(stamps) <= 3 and len(stamps) >= 8  # 3 per 1.05 s, together
        assert min(gaps) >= 0.3  # spread ~0.35 s apart (less a little tolerance), not burst
        names = [k.decode() for k in await clients[0].keys(f"invoiceflow:azq:{{{quota_id(url, key)}:analyze}}*")]
        assert sorted(names) == sorted(quota_keys("invoiceflow:azq:", quota_id(url, key), "analyze")[::2])
        assert not [n for n in names if key in n]
        ttls = [await clients[0].pttl(n) for n in names]
        assert all(0 < t <= 2100 for t in ttls)  # they expire on their own
    finally:
        for c in clients:
            await c.aclose()


async def test_a_call_that_leaves_late_is_counted_when_it_left(stack: None) -> None:
    """An event-loop stall between admission and sending moves the call's entry: the others wait for it."""
    url, key = "https://late.example", f"key-{uuid.uuid4().hex}"
    one, two = (connect_redis(Settings().redis_url.get_secret_value()) for _ in range(2))
    try:
        first, second = SharedQuotas(one), SharedQuotas(two)
        late, other = first.quota(url, key, "analyze", 1.0), second.quota(url, key, "analyze", 1.0)
        admitted = await late.admit()
        assert admitted.wait_s == 0
        await asyncio.sleep(0.3)  # the stall: the call leaves 0.3 s after its admission
        late.left(admitted.place)
        await first.drain()
        wait = (await other.admit()).wait_s  # one call per 1.05 s window, counted from when it left
        assert 0.95 < wait <= 1.1  # counted from its admission, it would be ~0.75
        on_time = await other.admit()
        other.left(on_time.place)  # refused, no place: nothing to move
        await second.drain()
    finally:
        await one.aclose()
        await two.aclose()


async def test_a_pause_published_by_one_worker_holds_another(stack: None) -> None:
    url, key = "https://pause.example", f"key-{uuid.uuid4().hex}"
    one, two = (connect_redis(Settings().redis_url.get_secret_value()) for _ in range(2))
    try:
        first, second = SharedQuotas(one), SharedQuotas(two)
        first.quota(url, key, "get", 50.0).pause(0.6)
        await first.drain()
        verdict = await second.quota(url, key, "get", 50.0).admit()
        assert verdict.paused and 0.4 < verdict.wait_s <= 0.6
        other_kind = await second.quota(url, key, "analyze", 15.0).admit()
        assert other_kind.wait_s == 0  # only that quota is paused
    finally:
        await one.aclose()
        await two.aclose()


async def test_unreachable_redis_falls_back_to_a_local_share_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = connect_redis("redis://127.0.0.1:1/0")  # nothing listens there: refused at once
    try:
        quotas = SharedQuotas(dead, workers=2)
        quota = quotas.quota("https://down.example", "k", "analyze", 4.0)  # 4 per window, 2 as one of two
        with caplog.at_level(logging.INFO, logger="streams.azure.shared_quota"):
            waits = [(await quota.admit()).wait_s for _ in range(4)]
            quota.pause(1.0)
            await quotas.drain()
        assert waits[:2] == [0.0, 0.0] and all(w > 0.9 for w in waits[2:])
        assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    finally:
        await dead.aclose()
