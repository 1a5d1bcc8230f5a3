"""Run one stage: batches in, results out, every failure routed, offsets safe, over either transport.

`StageRunner.route` handles a batch of consumed records and says what becomes of each; the host sends it. The
plain-aiokafka worker (`streams.kafka_worker`, the default transport) sends through its own outbox and
commits offsets only past records whose outputs Kafka acknowledged (`streams.offsets`). The Faust adapter
(`StageRunner.consume`, an agent body, sending through a `Producer`) works around Faust's `take()`, which
acks a whole batch even when the handler raised: it takes batches with `noack_take`, handles each message in
its own try, produces every output, and only then acks; Faust flushes the producer before it commits
offsets, so there too an offset is committed only past events whose result, retry or dead letter has been
handed to Kafka: a killed worker loses nothing (at-least-once).

Routing (`StageRunner.route`, shared by both transports): a retriable `InvoiceflowError` goes to the stage's
retry topic with an attempt count and a not-before time, one retry tier after another (`retry_delays_s`,
default 10 s, 1 min, 10 min), and is dead-lettered after the last; any other `InvoiceflowError` goes to the
dead-letter topic at once: the original message untouched plus headers saying where it came from and why
(`streams.deadletters`); when a batch handler raises such a permanent error for its whole batch (a value
PostgreSQL refuses: `RecordRefused`), the batch is handled again one record at a time, so only the record
that holds it is dead-lettered. Anything else is a bug, met on some record of the batch: the batch is handled
again one record at a time, and each record that raises alone is dead-lettered as `StageFailed` (logged at
ERROR with the exception's class and the code locations it passed, never its text), so one poisonous
record never stops its partition, nor crash-loops a restarted worker; the other records go on (their
sinks are idempotent, so handling them twice is safe). A stage that fails `CRASH_LIMIT` records in a row
with none handled in between is broken, not poisoned: it raises and the worker stops loudly, uncommitted.
A record whose retry headers are forged or garbled is dead-lettered (`bad_header`) before the stage sees
it. Under the Kafka transport an `outage` error (PostgreSQL or Redis down) is `held`: the worker keeps the
record in place and tries again later, spending none of its retry tiers.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from opentelemetry import trace

from config.settings import Settings
from config.topics import STAGES, dead_letter_topic, retry_topic
from streams.codecs import EventMemo, M, decode, peek_ids
from streams.deadletters import INVOICE_HEADER, TENANT_HEADER, Failure, Origin, dead_letter_headers
from streams.errors import HeaderError, InvoiceflowError, StageFailed
from streams.headers import (
    ATTEMPT_HEADER,
    FIRST_FAILURE_HEADER,
    NOT_BEFORE_HEADER,
    RetryState,
    header,
    latest_not_before,
    retry_state,
)
from streams.sinks import DeadLetterFact
from streams.tally import BATCH_SECONDS, Buckets
from streams.tracing import Headers, continue_trace, log_ids

log = logging.getLogger("invoiceflow.stage")

CRASH_LIMIT = 20
"""Records in a row a stage may fail with a bug (`StageFailed`) before it is taken for broken and stops."""

_FIRST_TRY = RetryState()


@dataclass(frozen=True, slots=True)
class Inbound:
    """One consumed message, with the trace headers its outputs must carry."""

    key: bytes | None
    value: bytes | None
    headers: Headers
    topic: str
    partition: int
    offset: int
    attempt: int
    out_headers: Headers
    retry: RetryState = _FIRST_TRY
    timestamp_ms: int = -1
    timestamp_type: int = 0
    span: trace.Span = trace.INVALID_SPAN
    """The stage's span for this record (recording only when its trace is sampled): handlers describe the
    record on it (`streams.tracing.describe`) and open child spans under it."""


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to produce, addressed by the topic's base name (by its full name once routed)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Routed:
    """What becomes of one consumed record: the messages to produce for it (full topic names), or the outage
    it waits out in place (`held`: only when the runner's host keeps records, see `StageRunner.hold_outages`)."""

    sends: tuple[Outbound, ...] = ()
    held: InvoiceflowError | None = None
    dead_letter: DeadLetterFact | None = None
    """Set when the record is dead-lettered: what the metrics and the dead-letter record count."""


Outcome = Sequence[Outbound] | InvoiceflowError
BatchHandler = Callable[[Sequence[Inbound]], Awaitable[Sequence[Outcome]]]
EventHandler = Callable[[Inbound], Awaitable[Sequence[Outbound]]]


def decode_all(batch: Sequence[Inbound], model: type[M],
               memo: EventMemo | None = None) -> tuple[list[Outcome], list[tuple[int, Inbound, M]]]:
    """Decode every message of a batch (through the worker's `memo` of encoded events, when given): outcomes
    with decode failures in place, and the decoded rest.

    Returns:
        ``(outcomes, decoded)``: ``outcomes[i]`` holds the error of message i or an empty placeholder
        for the handler to fill; ``decoded`` lists ``(i, message, event)`` for those that decoded.
    """
    outcomes: list[Outcome] = []
    decoded: list[tuple[int, Inbound, M]] = []
    for msg in batch:
        try:
            decoded.append((len(outcomes), msg, decode(model, msg.value, memo)))
            outcomes.append(())
        except InvoiceflowError as exc:
            outcomes.append(exc)
    return outcomes, decoded


def per_event(handler: EventHandler) -> BatchHandler:
    """Adapt a one-message handler to a batch handler, isolating each message's failure."""

    async def handle(batch: Sequence[Inbound]) -> Sequence[Outcome]:
        outcomes: list[Outcome] = []
        for msg in batch:
            try:
                outcomes.append(await handler(msg))
            except InvoiceflowError as exc:
                outcomes.append(exc)
        return outcomes

    return handle


def concurrently(handler: EventHandler) -> BatchHandler:
    """Like `per_event`, but the batch's messages are handled concurrently (for slow I/O such as OCR or the
    paid service); outcomes still line up with messages, and the batch is acked only when all are done."""

    async def one(msg: Inbound) -> Outcome:
        try:
            return await handler(msg)
        except InvoiceflowError as exc:
            return exc

    async def handle(batch: Sequence[Inbound]) -> Sequence[Outcome]:
        return list(await asyncio.gather(*(one(m) for m in batch)))

    return handle


@dataclass(slots=True)
class StageStats:
    """Counters a stage keeps for the CLI, the benchmark and the worker's /metrics (plain numbers: see
    `streams.tally`)."""

    processed: int = 0
    produced: int = 0
    retried: int = 0
    dead_lettered: int = 0
    held: int = 0
    """Records kept in place because a dependency every record needs was down (tried again later)."""
    failures: Counter[str] = field(default_factory=Counter)
    """Failed records by reason code (each try counts: a record retried twice fails three times)."""
    batch_seconds: Buckets = field(default_factory=lambda: Buckets(BATCH_SECONDS))


class Producer(Protocol):
    """Where a runner that sends its own outputs (the Faust adapter) sends them."""

    async def send(self, topic: str, key: bytes | None, value: bytes | None, headers: Headers) -> object: ...


class StageRunner:
    """Routes every outcome of a stage's batches: built from the settings, a tracer and, when it sends its
    outputs itself (`process_messages`), a `Producer`; the Kafka worker routes (`route`) and sends through its
    own outbox instead."""

    def __init__(self, stage: str, handler: BatchHandler, *, settings: Settings, tracer: trace.Tracer,
                 producer: Producer | None = None, retry_delays_s: Sequence[float] = (10.0, 60.0, 600.0),
                 max_in_flight: int = 1, hold_outages: bool = False) -> None:
        self.stage = stage
        self.handler = handler
        self.settings = settings
        self.producer = producer
        self.retry_delays_s = tuple(retry_delays_s)
        self.max_in_flight = max_in_flight
        self.hold_outages = hold_outages
        self.stats = StageStats()
        self.tracer = tracer
        self._span_name = f"invoiceflow.{stage}"
        self._prefix = self.settings.topic_prefix
        self._output = STAGES[stage][1]
        self._failed_in_a_row = 0

    async def consume(self, stream: Any) -> None:
        """The agent body: runs until the stream ends.

        With `max_in_flight` 1, batches are handled one after the other. Above 1 (stages that wait on slow
        I/O, like the paid extractor), each event runs as its own task, up to `max_in_flight` at once, and is
        acked when its outputs are produced; Faust commits only up to the first event not yet acked, so
        offsets never pass unfinished work.
        """
        size, within = self.settings.batch_size, self.settings.batch_timeout_s
        if self.max_in_flight <= 1:
            async for events in stream.noack_take(size, within=within):
                await self.process(events)
                for event in events:
                    await stream.ack(event)
            return
        window = asyncio.Semaphore(self.max_in_flight)
        running: set[asyncio.Task[None]] = set()
        async for events in stream.noack_take(size, within=within):
            for event in events:
                await window.acquire()
                for task in [t for t in running if t.done()]:
                    running.discard(task)
                    task.result()  # a bug in a handler crashes the agent loudly, as in batch mode
                task = asyncio.create_task(self._one(stream, event, window))
                running.add(task)
        await asyncio.gather(*running)

    async def _one(self, stream: Any, event: Any, window: asyncio.Semaphore) -> None:
        try:
            await self.process([event])
            await stream.ack(event)
        finally:
            window.release()

    async def process(self, events: Sequence[Any]) -> None:
        """Handle one batch of Faust events and produce every outcome (does not ack)."""
        await self.process_messages([e.message for e in events])

    async def process_messages(self, messages: Sequence[Any]) -> None:
        """Handle one batch of consumed records (Faust messages or aiokafka records) and produce every outcome."""
        if self.producer is None:
            raise RuntimeError(f"stage {self.stage}: this runner has no producer (its host sends what it routes)")
        for routed in await self.route(messages):
            for out in routed.sends:
                await self.producer.send(out.topic, out.key, out.value, out.headers)

    async def route(self, messages: Sequence[Any]) -> list[Routed]:
        """Handle one batch of consumed records and say what becomes of each (nothing is sent here).

        A record whose retry headers cannot be read is dead-lettered without reaching the handler; a batch
        handler that raises an `InvoiceflowError` fails every record of the batch with it; an `outage` error
        is `held` when this runner's host keeps records in place (`hold_outages`), else it is retried.
        """
        started = time.perf_counter()
        heads = [_as_list(m.headers) for m in messages]
        traced = [continue_trace(self.tracer, self._span_name, h) for h in heads]
        latest = self.latest_not_before()
        batch: list[Inbound] = []
        outcomes: list[Outcome | None] = []
        for m, h, (span, out) in zip(messages, heads, traced, strict=True):
            try:
                state = retry_state(h, latest)
                outcomes.append(None)
            except HeaderError as exc:
                state = _FIRST_TRY
                outcomes.append(exc)
            batch.append(Inbound(m.key, m.value, h, m.topic, m.partition, m.offset, state.attempt, out, state,
                                 *_timestamp(m), span))
        todo = [i for i, o in enumerate(outcomes) if o is None]
        if todo:
            await self._wait_not_before([batch[i] for i in todo])
            try:
                handled = await self.handler([batch[i] for i in todo])
                self._failed_in_a_row = 0
            except InvoiceflowError as exc:  # the batch as a whole failed
                if exc.retriable or exc.outage or len(todo) == 1:  # a server it needs did not answer
                    handled = [exc] * len(todo)
                else:  # something the batch holds is refused for good: find which record it is
                    handled = await self._one_at_a_time([batch[i] for i in todo], exc)
            except Exception as exc:  # noqa: BLE001 - a bug some record of the batch meets: find which
                handled = await self._one_at_a_time([batch[i] for i in todo], exc)
            for i, done in zip(todo, handled, strict=True):
                outcomes[i] = done
        routed: list[Routed] = []
        for msg, outcome, (span, _) in zip(batch, outcomes, traced, strict=True):
            if isinstance(outcome, InvoiceflowError):
                self.stats.failures[outcome.code] += 1
                routed.append(self._failure(msg, outcome))
                if span.is_recording():
                    span.set_attribute("invoiceflow.error", outcome.code)
                    span.set_status(trace.StatusCode.ERROR, outcome.code)
            else:
                sends = tuple(Outbound(f"{self._prefix}{o.topic}", o.key, o.value, o.headers) for o in outcome or ())
                self.stats.produced += len(sends)
                routed.append(Routed(sends))
            span.end()
        self.stats.processed += len(batch)
        self.stats.batch_seconds.observe(time.perf_counter() - started)
        return routed

    async def _one_at_a_time(self, batch: Sequence[Inbound], first: Exception) -> list[Outcome]:
        """The outcomes of a batch whose handler raised `first` (a bug, or an `InvoiceflowError` that is neither
        retriable nor an outage: something the batch holds is refused for good), each record handled on its
        own: one that raises a bug again is `StageFailed`, one refused again carries its refusal."""
        outcomes: list[Outcome] = []
        for msg in batch:
            try:
                (outcome,) = [first] if len(batch) == 1 else await self.handler([msg])
                if isinstance(outcome, Exception) and not isinstance(outcome, InvoiceflowError):
                    raise outcome
            except InvoiceflowError as exc:
                outcome = exc
            except Exception as exc:  # noqa: BLE001 - this record is the one that meets the bug
                outcome = self._crashed(msg, exc)
            if isinstance(outcome, StageFailed):
                self._failed_in_a_row += 1
                if self._failed_in_a_row >= CRASH_LIMIT:
                    raise first  # every record fails: the stage is broken, not the records
            elif not isinstance(outcome, InvoiceflowError):
                self._failed_in_a_row = 0
            outcomes.append(outcome)
        return outcomes

    def _crashed(self, msg: Inbound, exc: Exception) -> StageFailed:
        """The `StageFailed` of a record a bug was met on, logged with where (never the exception's text)."""
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{frames[-1].filename.rsplit('/', 2)[-1]}:{frames[-1].lineno}" if frames else "?"
        invoice_id, tenant = peek_ids(msg.value)
        log.error("stage %s: %s raised at %s on %s@%d:%d: dead-lettered\n%s", self.stage, type(exc).__name__,
                  where, msg.topic, msg.partition, msg.offset, "".join(traceback.format_list(frames)).rstrip(),
                  extra=_record_ids(self.stage, StageFailed.code, msg, invoice_id, tenant))
        failed = StageFailed(f"{self.stage} raised {type(exc).__name__} at {where}")
        failed.__cause__ = exc
        return failed.with_traceback(exc.__traceback__)

    def latest_not_before(self) -> float:
        """The latest not-before time a genuine retry of this stage can carry, from now."""
        return latest_not_before(time.time(), self.retry_delays_s)

    def unreadable(self, topic: str, partition: int, offset: int, exc: InvoiceflowError) -> Routed:
        """The dead letter of a record Kafka's client could not decode (its content is out of reach)."""
        msg = Inbound(None, None, [], topic, partition, offset, 0, [], _FIRST_TRY)
        self.stats.failures[exc.code] += 1
        return self._dead_letter(msg, exc)

    def rejected(self, message: Any, exc: InvoiceflowError) -> Routed:
        """The dead letter of a record whose output Kafka refused for good (see `OutputRejected`)."""
        headers = _as_list(message.headers)
        carried = [(k, v) for k, v in headers if k in ("traceparent", "tracestate")]
        msg = Inbound(message.key, message.value, headers, message.topic, message.partition, message.offset,
                      0, carried, _FIRST_TRY, *_timestamp(message))
        self.stats.failures[exc.code] += 1
        return self._dead_letter(msg, exc)

    async def _wait_not_before(self, batch: Sequence[Inbound]) -> None:
        due = max((m.retry.not_before for m in batch), default=0.0)
        delay = due - time.time()
        if delay > 0:
            await asyncio.sleep(min(delay, max(self.retry_delays_s)))

    def _failure(self, msg: Inbound, exc: InvoiceflowError) -> Routed:
        if exc.outage and self.hold_outages:
            self.stats.held += 1
            return Routed(held=exc)
        if exc.retriable and msg.attempt < len(self.retry_delays_s):
            self.stats.retried += 1
            not_before = time.time() + self.retry_delays_s[msg.attempt]
            first = header(msg.headers, FIRST_FAILURE_HEADER) or datetime.now(UTC).isoformat().encode()
            headers = [*_without(msg.headers, ATTEMPT_HEADER, NOT_BEFORE_HEADER, FIRST_FAILURE_HEADER),
                       (ATTEMPT_HEADER, str(msg.attempt + 1).encode()),
                       (NOT_BEFORE_HEADER, f"{not_before:.3f}".encode()), (FIRST_FAILURE_HEADER, first)]
            invoice_id, tenant = peek_ids(msg.value)
            log.warning("stage %s: %s on %s@%d:%d, retry %d", self.stage, exc.code, msg.topic,
                        msg.partition, msg.offset, msg.attempt + 1,
                        extra=_record_ids(self.stage, exc.code, msg, invoice_id, tenant))
            topic = f"{self._prefix}{retry_topic(self.stage, msg.attempt + 1)}"  # one topic per tier
            return Routed((Outbound(topic, msg.key, msg.value, headers),))
        return self._dead_letter(msg, exc)

    def _dead_letter(self, msg: Inbound, exc: InvoiceflowError) -> Routed:
        """The original message, untouched, with the dead-letter headers (see `streams.deadletters`)."""
        self.stats.dead_lettered += 1
        first = header(msg.headers, FIRST_FAILURE_HEADER)
        origin = Origin(msg.topic, msg.partition, msg.offset, msg.timestamp_ms, msg.timestamp_type)
        failure = Failure(self.stage, exc, msg.attempt + 1, self.settings.app_id, _when(first))
        headers = dead_letter_headers(msg.headers, origin, failure, msg.value)
        invoice_id, tenant = _text(headers, INVOICE_HEADER), _text(headers, TENANT_HEADER)
        log.warning("stage %s: dead-lettered %s@%d:%d: %s", self.stage, msg.topic, msg.partition,
                    msg.offset, exc.code, extra=_record_ids(self.stage, exc.code, msg, invoice_id, tenant))
        key = msg.key if msg.key is not None or msg.value is not None else b""  # Kafka needs one of the two
        note = DeadLetterFact(self.stage, exc.code, msg.topic, msg.partition, msg.offset, datetime.now(UTC), tenant,
                              invoice_id)
        return Routed((Outbound(f"{self._prefix}{dead_letter_topic(self.stage)}", key, msg.value, headers),),
                      dead_letter=note)


def _record_ids(stage: str, code: str, msg: Inbound, invoice_id: str | None, tenant: str | None) -> dict[str, str]:
    """What a log line about one record carries for the JSON log (`streams.logs`): ids, never content."""
    ids = {"stage": stage, "reason": code, **log_ids(msg.out_headers or msg.headers)}
    if invoice_id:
        ids["invoice_id"] = invoice_id
    if tenant:
        ids["tenant"] = tenant
    return ids


def _text(headers: Headers, name: str) -> str | None:
    raw = header(headers, name)
    return raw.decode("utf-8", "replace") if raw else None


def _timestamp(message: Any) -> tuple[int, int]:
    """A consumed record's timestamp in ms (aiokafka: ms; Faust: seconds) and its type."""
    ts = getattr(message, "timestamp", None)
    ms = round(ts * 1000) if isinstance(ts, float) else ts if isinstance(ts, int) else -1
    return ms, int(getattr(message, "timestamp_type", 0) or 0)


def _when(raw: bytes | None) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.decode("ascii")) if raw else None
    except (UnicodeDecodeError, ValueError):
        return None


def _as_list(headers: Any) -> Headers:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, dict) else headers
    return [(k, v) for k, v in items]


def _without(headers: Headers, *names: str) -> Headers:
    return [(k, v) for k, v in headers if k not in names]
