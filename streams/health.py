"""Is this worker ready to do its work? Kafka, Redis and PostgreSQL answer, and its consumer holds its share.

The rule `/health/ready` answers by (200 when every check passes, else 503 with the reason of each failing
one, so an operator or a Kubernetes readiness probe can use it as it is):

* **kafka**: the worker's producer gets the cluster's metadata (one Metadata request). Before the worker's
  clients have started (it creates the topics and applies the migrations first, waiting for Kafka and
  PostgreSQL while they do not answer) the check fails with `starting`.
* **redis**: the worker's own Redis client answers PING.
* **postgres**: a connection of the worker's own pool answers `SELECT 1` (the pool is opened, migrations
  applied, if no stage has opened it yet: what the first record would do anyway).
* **consumer**: the consumer holds the assignment of the group's latest rebalance. An assignment with no
  partition counts as ready: the group has more workers than partitions and this one stands by, which is
  legitimate. Not ready while it is still joining its group, while a rebalance is under way, or once the
  worker is stopping.

Each check runs on the worker's event loop with the worker's clients, bounded by `timeout_s`, and the four
run at once; a result is reused for `reuse_s` (and concurrent probes wait for the same run), so a probe
hammering the endpoint costs the pipeline nothing but that one run a second. Reasons name the error's kind,
never a DSN, a URL or a key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from streams.errors import InvoiceflowError

if TYPE_CHECKING:
    from streams.kafka_worker import KafkaStageWorker
    from streams.resources import Resources

_FAILURES = (InvoiceflowError, KafkaError, RedisError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


@dataclass(frozen=True, slots=True)
class Check:
    """One check's outcome: passed or not, what it found (or why it failed), and how long it took."""

    name: str
    ok: bool
    detail: str
    ms: float


def verdict(checks: list[Check]) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body of a readiness answer: 200 if every check passed, else 503."""
    failing = {c.name: c.detail for c in checks if not c.ok}
    body: dict[str, Any] = {
        "status": "not_ready" if failing else "ready",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail, "ms": round(c.ms, 1)} for c in checks},
    }
    if failing:
        body["failing"] = failing
    return (503 if failing else 200), body


async def timed(name: str, probe: Callable[[], Awaitable[str]], timeout_s: float) -> Check:
    """Run one check within `timeout_s`; an answer in time is a pass, an error or silence a failure."""
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(probe(), timeout_s)
        ok = True
    except TimeoutError:
        detail, ok = f"no answer within {timeout_s:g} s", False
    except _FAILURES as exc:
        detail, ok = _reason(exc), False
    return Check(name, ok, detail, (time.perf_counter() - started) * 1000)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, InvoiceflowError):  # ours: the message says what failed, never a secret
        return f"{exc.code}: {exc}"
    return type(exc).__name__


def consumer_state(worker: KafkaStageWorker) -> Check:
    """Whether the consumer holds its group's latest assignment (see the module docstring)."""
    since = time.monotonic() - worker.group_since
    if worker.stopping.is_set():
        return Check("consumer", False, "stopping", 0.0)
    if not worker.started:
        return Check("consumer", False, "starting", 0.0)
    if worker.group_state != "assigned":
        return Check("consumer", False, f"{worker.group_state} in group {worker.settings.app_id} for {since:.0f} s",
                     0.0)
    held = len(worker.consumer.assignment())
    if held == 0:
        return Check("consumer", True, "assigned no partition: the group has more workers than partitions; "
                     "standing by", 0.0)
    return Check("consumer", True, f"{held} partition(s)", 0.0)


class Readiness:
    """The readiness checks of one Kafka worker over its own clients."""

    def __init__(self, worker: KafkaStageWorker, resources: Resources, timeout_s: float,
                 reuse_s: float = 1.0) -> None:
        self._worker = worker
        self._resources = resources
        self._timeout_s = timeout_s
        self._reuse_s = reuse_s
        self._last: tuple[float, int, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def answer(self) -> tuple[int, dict[str, Any]]:
        """The status and body of `/health/ready` (a run at most `reuse_s` old)."""
        async with self._lock:
            if self._last is None or time.monotonic() - self._last[0] >= self._reuse_s:
                checks = await asyncio.gather(self._kafka_check(), timed("redis", self._redis, self._timeout_s),
                                              timed("postgres", self._postgres, self._timeout_s))
                self._last = (time.monotonic(), *verdict([*checks, consumer_state(self._worker)]))
            return self._last[1], self._last[2]

    async def _kafka_check(self) -> Check:
        if not self._worker.started:  # its clients are not started before the topics and migrations are done
            return Check("kafka", False, "starting: creating topics and applying migrations", 0.0)
        return await timed("kafka", self._kafka, self._timeout_s)

    async def _kafka(self) -> str:
        metadata = await self._worker.producer.client.fetch_all_metadata()
        return f"{len(metadata.brokers())} broker(s)"

    async def _redis(self) -> str:
        await self._resources.redis_client().ping()
        return "PONG"

    async def _postgres(self) -> str:
        pool = await self._resources.postgres_pool()
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        return "SELECT 1"

