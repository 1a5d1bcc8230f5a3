"""Liveness and readiness of the service, as Kubernetes-style probes use them.

Live: the process answers. Ready: Redis, PostgreSQL and Kafka each answered a real request (PING, SELECT 1, a
metadata request) within `service_check_timeout_s`, and the live feed's consumer holds its topics; the checks
run at once, so a probe takes at most that long. A failed check is reported by name with the reason (the
error's class or the timeout, never an address or a DSN) and makes the answer 503.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiokafka.client import AIOKafkaClient

from schemas import CheckResult, HealthResponse
from streams.service._state import ServiceState

Check = Callable[[], Awaitable[object]]


class FeedNotFollowing(Exception):
    """The live feed's consumer does not hold its topics yet (or lost Kafka)."""


async def _timed(check: Check, timeout_s: float) -> CheckResult:
    start = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout_s)
        reason = None
    except TimeoutError:
        reason = f"no answer within {timeout_s:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency is "not ready", reported by class
        reason = type(exc).__name__
    return CheckResult(ok=reason is None, ms=round((time.perf_counter() - start) * 1000, 2), reason=reason)


async def readiness(state: ServiceState) -> HealthResponse:
    """Check every dependency at once; `status` is ok only when all answered."""
    timeout = state.settings.service_check_timeout_s

    async def redis() -> object:
        return await state.redis.ping()

    async def postgres() -> object:
        pool = await state.postgres()
        async with pool.acquire() as conn:
            return await conn.fetchval("SELECT 1")

    async def kafka() -> object:
        client = AIOKafkaClient(bootstrap_servers=state.settings.kafka_bootstrap,
                                request_timeout_ms=int(timeout * 1000))
        try:
            await client.bootstrap()  # a metadata request to a bootstrap broker
        finally:
            await client.close()
        return None

    async def live_feed() -> object:
        if not state.feed.connected:
            raise FeedNotFollowing
        return None

    names = ("redis", "postgres", "kafka", "live_feed")
    results = await asyncio.gather(*(_timed(c, timeout) for c in (redis, postgres, kafka, live_feed)))
    checks = dict(zip(names, results, strict=True))
    return HealthResponse(status="ok" if all(r.ok for r in results) else "unavailable", checks=checks)
