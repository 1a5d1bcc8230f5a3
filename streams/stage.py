"""Run one stage over a Faust stream: batches in, results out, every failure routed, offsets safe.

Faust's `take()` acks a whole batch even when the handler raised, so we take batches with `noack_take`,
handle each message in its own try (through the stage's handler), produce every output, and only then ack.
Faust flushes the producer before it commits offsets, so an offset is committed only past events whose
result, retry or dead letter has been handed to Kafka: a killed worker loses nothing (at-least-once).

Routing: a retriable `InvoiceflowError` goes to the stage's retry topic with an attempt count and a
not-before time (dead-lettered after `max_attempts`); any other `InvoiceflowError` goes to the dead-letter
topic stamped with its `code`; anything else is a bug and crashes the agent loudly.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from config.topics import STAGES, dead_letter_topic, retry_topic
from schemas import DeadLetter, event_id_for
from streams.codecs import M, decode, encode, peek_ids
from streams.errors import InvoiceflowError
from streams.tracing import Headers, continue_trace

log = logging.getLogger("invoiceflow.stage")

ATTEMPT_HEADER = "x-invoiceflow-attempt"
NOT_BEFORE_HEADER = "x-invoiceflow-not-before"
ERROR_HEADER = "x-invoiceflow-error"


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


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to produce, addressed by the topic's base name."""

    topic: str
    key: bytes
    value: bytes
    headers: Headers = field(default_factory=list)


Outcome = Sequence[Outbound] | InvoiceflowError
BatchHandler = Callable[[Sequence[Inbound]], Awaitable[Sequence[Outcome]]]
EventHandler = Callable[[Inbound], Awaitable[Sequence[Outbound]]]


def decode_all(batch: Sequence[Inbound], model: type[M]) -> tuple[list[Outcome], list[tuple[int, Inbound, M]]]:
    """Decode every message of a batch: outcomes with decode failures in place, and the decoded rest.

    Returns:
        ``(outcomes, decoded)``: ``outcomes[i]`` holds the error of message i or an empty placeholder
        for the handler to fill; ``decoded`` lists ``(i, message, event)`` for those that decoded.
    """
    outcomes: list[Outcome] = []
    decoded: list[tuple[int, Inbound, M]] = []
    for msg in batch:
        try:
            decoded.append((len(outcomes), msg, decode(model, msg.value)))
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
    """Counters a stage keeps for the CLI and the benchmark."""

    processed: int = 0
    produced: int = 0
    retried: int = 0
    dead_lettered: int = 0


class StageRunner:
    """Consumes a stage's stream in batches and routes every outcome."""

    def __init__(self, app: Any, stage: str, handler: BatchHandler, *, retry_delay_s: float = 5.0,
                 max_attempts: int = 5, max_in_flight: int = 1) -> None:
        self.app = app
        self.stage = stage
        self.handler = handler
        self.settings = app.invoiceflow_settings
        self.retry_delay_s = retry_delay_s
        self.max_attempts = max_attempts
        self.max_in_flight = max_in_flight
        self.stats = StageStats()
        self.tracer = app.invoiceflow_tracer
        self._span_name = f"invoiceflow.{stage}"
        self._prefix = self.settings.topic_prefix
        self._output = STAGES[stage][1]

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
        heads = [_as_list(m.headers) for m in messages]
        traced = [continue_trace(self.tracer, self._span_name, h) for h in heads]
        spans = [span for span, _ in traced]
        batch = [self._inbound(m, h, out) for m, h, (_, out) in zip(messages, heads, traced, strict=True)]
        await self._wait_not_before(batch)
        outcomes = await self.handler(batch)
        for msg, outcome, span in zip(batch, outcomes, spans, strict=True):
            if isinstance(outcome, InvoiceflowError):
                await self._route_failure(msg, outcome)
                span.set_status(trace.StatusCode.ERROR, outcome.code)
            else:
                for out in outcome:
                    await self._send(out.topic, out.key, out.value, out.headers)
                self.stats.produced += len(outcome)
            span.end()
        self.stats.processed += len(batch)

    def _inbound(self, message: Any, headers: Headers, out_headers: Headers) -> Inbound:
        attempt = int(_header(headers, ATTEMPT_HEADER) or b"0")
        return Inbound(message.key, message.value, headers, message.topic, message.partition,
                       message.offset, attempt, out_headers)

    async def _wait_not_before(self, batch: Sequence[Inbound]) -> None:
        due = max((not_before(m.headers) for m in batch), default=0.0)
        delay = due - time.time()
        if delay > 0:
            await asyncio.sleep(min(delay, self.retry_delay_s * self.max_attempts))

    async def _route_failure(self, msg: Inbound, exc: InvoiceflowError) -> None:
        if exc.retriable and msg.attempt + 1 < self.max_attempts:
            self.stats.retried += 1
            not_before = time.time() + self.retry_delay_s * (2 ** msg.attempt)
            headers = [*_without(msg.headers, ATTEMPT_HEADER, NOT_BEFORE_HEADER),
                       (ATTEMPT_HEADER, str(msg.attempt + 1).encode()),
                       (NOT_BEFORE_HEADER, f"{not_before:.3f}".encode())]
            await self._send(retry_topic(self.stage), msg.key or b"", msg.value or b"", headers)
            log.warning("stage %s: %s on %s@%d:%d, retry %d", self.stage, exc.code, msg.topic,
                        msg.partition, msg.offset, msg.attempt + 1)
            return
        self.stats.dead_lettered += 1
        await self._send(dead_letter_topic(self.stage), msg.key or b"", encode(self.dead_letter(msg, exc)),
                         [*msg.out_headers, (ERROR_HEADER, exc.code.encode())])
        log.warning("stage %s: dead-lettered %s@%d:%d: %s", self.stage, msg.topic, msg.partition,
                    msg.offset, exc.code)

    def dead_letter(self, msg: Inbound, exc: InvoiceflowError) -> DeadLetter:
        """The dead-letter envelope for a message the stage gave up on."""
        invoice_id, tenant_id = peek_ids(msg.value)
        where = f"{msg.topic}:{msg.partition}:{msg.offset}"
        return DeadLetter(
            event_id=event_id_for("dead_letter", invoice_id or "", where),
            stage=self.stage,
            source_topic=msg.topic,
            partition=msg.partition,
            offset=msg.offset,
            key=msg.key.decode("utf-8", "replace") if msg.key else None,
            invoice_id=invoice_id,
            tenant_id=tenant_id,
            error_code=exc.code,
            error_message=str(exc)[:2000] or type(exc).__name__,
            retriable=exc.retriable,
            attempts=msg.attempt + 1,
            failed_at=datetime.now(UTC),
            payload_b64=base64.b64encode(msg.value or b"").decode(),
            headers={k: v.decode("utf-8", "replace") for k, v in msg.headers if v is not None},
        )

    async def _send(self, base: str, key: bytes, value: bytes, headers: Headers) -> None:
        await self.app.producer.send(f"{self._prefix}{base}", key, value, None, None, headers)


def not_before(headers: Any) -> float:
    """The wall-clock time before which a retried message must not be handled again (0: none)."""
    return float(_header(_as_list(headers), NOT_BEFORE_HEADER) or b"0")


def _as_list(headers: Any) -> Headers:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, dict) else headers
    return [(k, v) for k, v in items]


def _header(headers: Headers, name: str) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None


def _without(headers: Headers, *names: str) -> Headers:
    return [(k, v) for k, v in headers if k not in names]
