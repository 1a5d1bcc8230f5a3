"""Delivery: a consumed record is done only once Kafka has acknowledged everything its stage made for it.

aiokafka's `send` queues a message and hands back a future that may fail long after (a broker away for
longer than the producer's request timeout fails every batch it held: `NodeNotReadyError`,
`KafkaTimeoutError`). Flushing the producer before a commit waits for those futures but never looks at them,
so a failed delivery let its input's offset be committed and the invoice was silently gone. Here every
record's sends are tracked one by one:

* a record is reported `delivered` (and only then may its offset be committed) when every one of its
  messages was acknowledged;
* a send that failed for a passing reason (the broker is away, a leader moves, a request timed out) is
  queued and sent again after a backoff that grows while failures go on, for as long as it takes; while
  anything waits to be sent again the outbox is `failing`, and the worker stops taking new records;
* a message Kafka refuses for good (larger than the broker accepts) can never be sent: the record's owner
  replaces it (with the record's dead letter), so the record still ends somewhere an operator can see it;
* records of partitions the worker gives up in a rebalance are `forget`-ten: their late acknowledgements and
  pending resends no longer count, since the partition's next owner reads them again (at-least-once).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordTooLargeError
from aiokafka.structs import TopicPartition

from streams.lanes import Record
from streams.stage import Outbound

log = logging.getLogger("invoiceflow.delivery")

_PERMANENT = (MessageSizeTooLargeError, RecordTooLargeError)  # the message itself is refused: never retry
FIRST_BACKOFF_S = 0.5


@dataclass(slots=True, eq=False)
class _Delivery:
    """One record's messages in flight: how many still wait for their acknowledgement."""

    record: Record
    tp: TopicPartition
    remaining: int
    gone: bool = False


Delivered = Callable[[Record], None]
Replace = Callable[[Record, Outbound, KafkaError], Sequence[Outbound]]


class Outbox:
    """Sends each record's messages through one producer and reports the record once all are acknowledged."""

    def __init__(self, producer: AIOKafkaProducer, delivered: Delivered, replace: Replace,
                 max_backoff_s: float = 30.0) -> None:
        """`delivered(record)` is called once every message of the record is acknowledged; `replace(record,
        message, error)` gives what to send instead of a message Kafka refused for good (may be nothing)."""
        self._producer = producer
        self._delivered = delivered
        self._replace = replace
        self._max_backoff_s = max_backoff_s
        self._open: dict[TopicPartition, set[_Delivery]] = {}
        self._resend: deque[tuple[_Delivery, Outbound]] = deque()
        self._instead: deque[tuple[_Delivery, Outbound]] = deque()
        self._resend_at = 0.0
        self._backoff_s = 0.0
        self._failing_since: float | None = None

    @property
    def failing(self) -> bool:
        """Whether messages wait to be sent again (the broker is failing us)."""
        return bool(self._resend)

    @property
    def undelivered(self) -> int:
        """Records with messages not yet acknowledged."""
        return sum(len(entries) for entries in self._open.values())

    def resend_due_in(self) -> float | None:
        """Seconds until the next resend round (None: nothing waits)."""
        return max(0.0, self._resend_at - time.monotonic()) if self._resend else None

    async def deliver(self, record: Record, sends: Sequence[Outbound]) -> None:
        """Send the record's messages (nothing to send: it is delivered at once)."""
        if not sends:
            self._delivered(record)
            return
        entry = _Delivery(record, TopicPartition(record.topic, record.partition), len(sends))
        self._open.setdefault(entry.tp, set()).add(entry)
        for out in sends:
            await self._send(entry, out)

    async def resend_due(self) -> None:
        """Send the replacements of refused messages, and again, once their backoff has passed, the messages
        whose delivery failed."""
        batch: list[tuple[_Delivery, Outbound]] = []
        if self._instead:
            batch, self._instead = list(self._instead), deque()
        if self._resend and time.monotonic() >= self._resend_at:
            log.info("sending %d message(s) again", len(self._resend))
            batch += self._resend
            self._resend = deque()
        for entry, out in batch:
            if not entry.gone:
                await self._send(entry, out)

    def forget(self, tps: Iterable[TopicPartition]) -> None:
        """Stop tracking the records of partitions this worker no longer owns."""
        for tp in tps:
            for entry in self._open.pop(tp, ()):
                entry.gone = True
        self._resend = deque((e, o) for e, o in self._resend if not e.gone)
        self._instead = deque((e, o) for e, o in self._instead if not e.gone)

    async def settled(self, timeout_s: float, tps: Iterable[TopicPartition] | None = None) -> bool:
        """Wait (up to `timeout_s`) until every record (of `tps`) is delivered; False when time ran out."""
        wanted = None if tps is None else set(tps)
        deadline = time.monotonic() + timeout_s
        while any(entries for tp, entries in self._open.items() if wanted is None or tp in wanted):
            if time.monotonic() >= deadline:
                return False
            await self.resend_due()
            await asyncio.sleep(0.02)
        return True

    async def _send(self, entry: _Delivery, out: Outbound) -> None:
        try:
            future = await self._producer.send(out.topic, out.value, key=out.key, headers=out.headers)
        except KafkaError as exc:  # refused before it was queued: too large, or no room while the broker is away
            self._failed(entry, out, exc)
            return
        future.add_done_callback(functools.partial(self._acked, entry, out))

    def _acked(self, entry: _Delivery, out: Outbound, future: asyncio.Future[object]) -> None:
        exc = KafkaError("send cancelled") if future.cancelled() else future.exception()
        if exc is None:
            if self._failing_since is not None and not self._resend:
                log.warning("Kafka takes messages again after %.0f s", time.monotonic() - self._failing_since)
                self._failing_since, self._backoff_s = None, 0.0
            self._done(entry)
        elif isinstance(exc, KafkaError):
            self._failed(entry, out, exc)
        else:  # not Kafka's: a bug, which must not pass for a delivery
            log.error("delivery of %s failed unexpectedly", out.topic, exc_info=exc)
            self._failed(entry, out, KafkaError(type(exc).__name__))

    def _done(self, entry: _Delivery) -> None:
        entry.remaining -= 1
        if entry.remaining == 0 and not entry.gone:
            entries = self._open.get(entry.tp)
            if entries is not None:
                entries.discard(entry)
            self._delivered(entry.record)

    def _failed(self, entry: _Delivery, out: Outbound, exc: KafkaError) -> None:
        if entry.gone:
            return
        if isinstance(exc, _PERMANENT):
            instead = self._replace(entry.record, out, exc)
            entry.remaining += len(instead)
            self._instead.extend((entry, o) for o in instead)
            self._done(entry)
            return
        if not self._resend:  # a new round of failures: wait longer than last time before trying again
            self._backoff_s = min(self._max_backoff_s, max(FIRST_BACKOFF_S, self._backoff_s * 2))
            self._resend_at = time.monotonic() + self._backoff_s
            if self._failing_since is None:
                self._failing_since = time.monotonic()
            log.warning("Kafka did not take a message (%s): its record waits, sending again in %.1f s",
                        type(exc).__name__, self._backoff_s)
        self._resend.append((entry, out))
