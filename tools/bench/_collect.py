"""Read the run's results as they arrive: what each scored invoice says, and when it got here.

The collector reads `invoices.scored` without a consumer group (it must not move the workers' offsets) and
pulls only the few fields it needs with orjson instead of validating the whole `InvoiceScored`: it shares
the machine with what it measures, and a full pydantic decode per result would be measurable load. Each
invoice is counted once (delivery is at-least-once); redeliveries are counted separately.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import orjson
from aiokafka import AIOKafkaConsumer


@dataclass(frozen=True, slots=True)
class Arrival:
    """One scored invoice as the benchmark saw it."""

    index: int
    arrived_at: float
    scored_latency_s: float
    decision: str
    paid_pages: int
    cost_usd: Decimal
    fmt: str


class ScoredCollector:
    """Collects the arrivals of the run's invoices, keyed by the invoice ids it published."""

    def __init__(self, index_of: Mapping[bytes, int], on_arrival: Callable[[int], object] | None = None) -> None:
        self._index_of = index_of
        self._on_arrival = on_arrival
        self.arrivals: list[Arrival] = []
        self.redelivered = 0
        self.foreign = 0
        self._seen: set[int] = set()
        self.done = asyncio.Event()
        self.moved = asyncio.Event()  # set whenever new invoices arrived (the publisher's window waits on it)

    def _take(self, key: bytes | None, value: bytes | None, arrived_at: float) -> None:
        index = self._index_of.get(key or b"")
        if index is None or not value:
            self.foreign += 1
            return
        if index in self._seen:
            self.redelivered += 1
            return
        self._seen.add(index)
        obj = orjson.loads(value)
        received = datetime.fromisoformat(obj["received_at"])
        scored = datetime.fromisoformat(obj["scored_at"])
        cost = obj.get("cost") or {}
        self.arrivals.append(Arrival(
            index=index, arrived_at=arrived_at, scored_latency_s=(scored - received).total_seconds(),
            decision=str(obj.get("decision")), paid_pages=int(cost.get("pages", 0)),
            cost_usd=Decimal(str(cost.get("usd", "0"))), fmt=str(obj.get("format")),
        ))
        if len(self._seen) == len(self._index_of):
            self.done.set()

    async def run(self, consumer: AIOKafkaConsumer) -> None:
        """Consume until every published invoice arrived (or the task is cancelled)."""
        while not self.done.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=2000)
            now = time.time()
            before = len(self._seen)
            for recs in batch.values():
                for rec in recs:
                    self._take(rec.key, rec.value, now)
            if len(self._seen) > before:
                self.moved.set()
                if self._on_arrival:
                    self._on_arrival(len(self._seen) - before)


class KeyCollector:
    """Arrival times of distinct keys on a topic (for the raw chain: nothing is decoded)."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.arrived_at: list[float] = []
        self._seen: set[bytes] = set()
        self.done = asyncio.Event()
        self.moved = asyncio.Event()

    async def run(self, consumer: AIOKafkaConsumer) -> None:
        """Consume until `expected` distinct keys arrived (or the task is cancelled)."""
        while not self.done.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            now = time.time()
            for recs in batch.values():
                for rec in recs:
                    if rec.key is not None and rec.key not in self._seen:
                        self._seen.add(rec.key)
                        self.arrived_at.append(now)
                        self.moved.set()
            if len(self._seen) >= self.expected:
                self.done.set()


Gate = Callable[[int], Awaitable[None]]


def window_gate(window: int, arrived: Callable[[], int], moved: asyncio.Event) -> Gate | None:
    """A publisher gate keeping at most `window` invoices in flight (published, not yet arrived); 0: none.

    Publishing "as fast as possible" through such a window is a closed loop: the pipeline runs at its own
    sustainable pace with queues of bounded depth, instead of draining a backlog published in one burst
    (which measures how Faust schedules a backlog between agents more than what the pipeline sustains).
    """
    if window <= 0:
        return None

    async def gate(index: int) -> None:
        while index - arrived() >= window:
            moved.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(moved.wait(), 0.1)

    return gate


async def wait_done(done: asyncio.Event, progress: Callable[[], int], stall_timeout_s: float) -> bool:
    """Wait until `done`, or until `progress()` has not moved for `stall_timeout_s`; True when done."""
    last, moved = progress(), time.monotonic()
    while not done.is_set():
        try:
            await asyncio.wait_for(done.wait(), 1.0)
        except TimeoutError:
            now = progress()
            if now != last:
                last, moved = now, time.monotonic()
            elif time.monotonic() - moved > stall_timeout_s:
                return False
    return True
