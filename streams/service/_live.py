"""The live feed: scored invoices and dead letters as they happen, for the service's `/api/v1/stream`.

One Kafka consumer per service process reads `invoices.scored` and every dead-letter topic from their end
(no consumer group: it commits nothing and disturbs no worker) and keeps the last `capacity` events in a ring
buffer, each a small summary (ids, tenant, decision, score, route, format, extractor, reason codes, latency;
for a dead letter its stage and reason), never document fields. Subscribers (one per open stream) read from
the buffer after the last event they saw and wait for the next: the feed is fed by Kafka, not by polling a
database. The topics are created if missing (as a worker creates them); a topic without a leader yet is looked
for again every `_REDISCOVER_S` and read from its start
once it appears (all of it is new).

Each event's id is `<boot>.<sequence>`: a client that reconnects with `Last-Event-ID` resumes right after it
while the event is still buffered (an older one resumes at the buffer's start, and is told of the gap), and a
client of an earlier service process (another boot) resumes from now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from config.settings import Settings
from config.topics import SCORED, STAGES, dead_letter_topic
from streams.admin import ensure_topics
from streams.deadletters import view_of
from streams.errors import DependencyUnavailable, UnreadableDeadLetter
from streams.kafka_clients import partitions_of, reading_consumer
from streams.lanes import Record
from streams.topics import topic_name

log = logging.getLogger("invoiceflow.live")

_REDISCOVER_S = 10.0
_RETRY_S = 2.0


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event of the feed: its sequence number, tenant, kind (`scored`, `dead_letter`) and JSON summary."""

    seq: int
    tenant: str | None
    kind: str
    data: bytes


def scored_summary(value: bytes | None) -> tuple[str | None, bytes] | None:
    """The tenant and feed summary of a scored event's bytes (None for anything that is not one)."""
    try:
        ev = orjson.loads(value or b"")
        received = datetime.fromisoformat(ev["received_at"])
        scored = datetime.fromisoformat(ev["scored_at"])
        summary = {
            "invoice_id": str(ev["invoice_id"]), "tenant_id": str(ev["tenant_id"]), "decision": ev["decision"],
            "score": float(ev["score"]), "route": ev.get("route"), "format": ev.get("format"),
            "extractor": ev.get("extractor"), "reasons": sorted({str(r["code"]) for r in ev.get("reasons") or ()}),
            "latency_ms": round((scored - received).total_seconds() * 1000, 1), "at": ev["scored_at"],
        }
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None  # not a scored event: nothing to show
    return summary["tenant_id"], orjson.dumps(summary)


def dead_letter_summary(record: Record, stage: str) -> tuple[str | None, bytes] | None:
    """The tenant and feed summary of a dead letter (None when it cannot be read as one)."""
    try:
        view = view_of(record)
    except UnreadableDeadLetter:
        return None
    at = datetime.fromtimestamp(max(0, record.timestamp) / 1000, UTC).isoformat()
    summary = {"invoice_id": view.invoice_id, "tenant_id": view.tenant, "stage": stage, "reason": view.reason,
               "replays": view.replays, "at": at}
    return view.tenant, orjson.dumps(summary)


class LiveFeed:
    """The buffer of recent events, and the consumer that fills it once started (inside the running loop)."""

    def __init__(self, settings: Settings, capacity: int = 10_000) -> None:
        self.settings = settings
        self.boot = uuid.uuid4().hex[:8]
        self._events: deque[FeedEvent] = deque(maxlen=capacity)
        self._seq = 0
        self._changed = asyncio.Event()
        self._stage_of: dict[str, str | None] = {topic_name(settings, SCORED): None} | {
            topic_name(settings, dead_letter_topic(s)): s for s in STAGES}
        self._task: asyncio.Task[None] | None = None
        self.connected = False
        """Whether the consumer holds its partitions (readiness reports it)."""

    async def start(self) -> None:
        """Start reading in the background (trying again while Kafka is away)."""
        self._task = asyncio.create_task(self._run(), name="invoiceflow-live-feed")

    async def stop(self) -> None:
        """Stop reading."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def add(self, tenant: str | None, kind: str, data: bytes) -> FeedEvent:
        """Append an event and wake the subscribers."""
        self._seq += 1
        event = FeedEvent(self._seq, tenant, kind, data)
        self._events.append(event)
        self._changed.set()
        self._changed = asyncio.Event()
        return event

    def event_id(self, event: FeedEvent) -> str:
        """The id a client resumes from."""
        return f"{self.boot}.{event.seq}"

    def resume_point(self, last_event_id: str | None, backlog: int) -> tuple[int, bool]:
        """The sequence number to read after for a client that last saw `last_event_id`, and whether events
        it missed were dropped from the buffer meanwhile. A new client (None) gets up to `backlog` recent
        events; an id of another boot, or one that is not an id, resumes from now."""
        if last_event_id is None:
            return max(0, self._seq - backlog), False
        boot, _, seq = last_event_id.partition(".")
        if boot != self.boot or not seq.isdigit() or int(seq) > self._seq:
            return self._seq, False
        after = int(seq)
        return after, bool(self._events) and after + 1 < self._events[0].seq

    def since(self, after: int, tenant: str | None) -> list[FeedEvent]:
        """The buffered events after sequence `after` that `tenant` may see (every tenant's for None)."""
        if not self._events or after >= self._seq:
            return []
        skip = max(0, after + 1 - self._events[0].seq)  # sequence numbers are consecutive in the buffer
        found = list(self._events)[skip:] if skip else list(self._events)
        return found if tenant is None else [e for e in found if e.tenant == tenant]

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest event (0 before the first)."""
        return self._seq

    async def wait(self, timeout_s: float) -> bool:
        """Until something new arrives (True), or `timeout_s` passes (False)."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        while True:
            consumer = reading_consumer(self.settings, fetch_max_wait_ms=100)
            try:
                await ensure_topics(self.settings)  # as a worker does: whoever starts first creates them
                await consumer.start()
                await self._follow(consumer)
            except (KafkaError, DependencyUnavailable, OSError) as exc:
                log.warning("live feed: Kafka did not answer (%s); trying again", type(exc).__name__)
            finally:
                self.connected = False
                await consumer.stop()
            await asyncio.sleep(_RETRY_S)

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        held: set[TopicPartition] = set()
        looked = -_REDISCOVER_S
        while True:
            complete = len({tp.topic for tp in held}) == len(self._stage_of)
            if not complete and time.monotonic() - looked > (_REDISCOVER_S if self.connected else _RETRY_S):
                held = await self._discover(consumer, held)
                looked = time.monotonic()
                self.connected = any(self._stage_of[tp.topic] is None for tp in held)  # the scored topic's
            if not held:  # nothing to read yet (a consumer with nothing assigned would wait for ever)
                await asyncio.sleep(_RETRY_S)
                continue
            for tp, records in (await consumer.getmany(timeout_ms=1000, max_records=500)).items():
                stage = self._stage_of.get(tp.topic)
                for record in records:
                    found = (scored_summary(record.value) if stage is None
                             else dead_letter_summary(record, stage))
                    if found is not None:
                        self.add(found[0], "scored" if stage is None else "dead_letter", found[1])

    async def _discover(self, consumer: AIOKafkaConsumer, held: set[TopicPartition]) -> set[TopicPartition]:
        """Assign every partition of the feed's topics that exists now. Those found on the first look start at
        their end (only what comes after is live); those found later at their beginning (a topic created or
        elected a leader since holds only new events)."""
        found = set(await partitions_of(consumer, self._stage_of))
        new = found - held
        if not new:
            return held
        kept = {tp: await consumer.position(tp) for tp in held}
        consumer.assign(sorted(found))  # a new assignment forgets positions: set the held ones back
        for tp, offset in kept.items():
            consumer.seek(tp, offset)
        if not held:
            await consumer.seek_to_end(*new)
            for tp in new:
                await consumer.position(tp)  # fix "the end" now
        else:
            await consumer.seek_to_beginning(*new)
        return found
