"""Publish the run's `InvoiceReceived` events at a fixed rate or as fast as possible, stamping send times.

Events are built ahead of time (reading and hashing 20,000 files is not what we measure) through the same
`received_for_file` as `invoiceflow publish`, and encoded with the codec once, with a sentinel
`received_at`. At send time the sentinel is replaced by the send instant, so `received_at` is exactly when
the event left, at the cost of one bytes.replace instead of a pydantic round trip in the publishing loop
(the bench shares the machine's two cores with the workers it measures).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry import trace

from config.settings import Settings
from streams.codecs import encode
from streams.errors import ConfigError, DependencyUnavailable
from streams.partitioning import kafka_partitioner
from streams.publisher import received_for_file
from streams.tracing import Headers, headers_for, make_tracer

_SENTINEL = datetime(2000, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
_SENTINEL_BYTES = b"2000-01-01T00:00:00.123456Z"
_YIELD_EVERY = 64


@dataclass(frozen=True, slots=True)
class Prepared:
    """One event ready to send: its key and its encoded value with a sentinel `received_at`."""

    key: bytes
    template: bytes


def prepare(paths: Sequence[Path], tenant: str, settings: Settings) -> list[Prepared]:
    """One encoded `InvoiceReceived` per document (by reference, file://), with a fresh invoice id."""
    out: list[Prepared] = []
    for path in paths:
        ev = received_for_file(path, tenant, settings, invoice_id=str(uuid.uuid4()), source="bench")
        value = encode(ev.model_copy(update={"received_at": _SENTINEL}))
        if value.count(_SENTINEL_BYTES) != 1:
            raise ConfigError("the codec no longer writes received_at as expected; update the bench stamp")
        out.append(Prepared(ev.invoice_id.encode(), value))
    return out


_PACE_TICK_S = 0.005


def stamp(template: bytes, sent_at: float) -> bytes:
    """The event value with `received_at` set to `sent_at` (epoch seconds)."""
    iso = datetime.fromtimestamp(sent_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()
    return template.replace(_SENTINEL_BYTES, iso, 1)


def make_producer(settings: Settings) -> AIOKafkaProducer:
    """A producer configured like `invoiceflow publish` (acks=all, idempotent, the settings' batching)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_max_batch_bytes, acks="all", enable_idempotence=True,
        partitioner=kafka_partitioner,
    )


class TraceHeaders:
    """A new trace per published event, its context in the headers (as `Publisher` does)."""

    def __init__(self, settings: Settings) -> None:
        self._tracer = make_tracer("invoiceflow.bench", settings.trace_sample_ratio)

    def __call__(self) -> Headers:
        span = self._tracer.start_span("invoiceflow.publish", kind=trace.SpanKind.PRODUCER)
        headers = headers_for(trace.set_span_in_context(span))
        span.end()
        return headers


async def publish(producer: AIOKafkaProducer, topic: str, items: Sequence[Prepared], rate: float | None,
                  sent_at: list[float], headers: TraceHeaders, *, stamped: bool = True,
                  gate: Callable[[int], Awaitable[None]] | None = None) -> None:
    """Send every item, paced to `rate` per second (None: as fast as possible); records each send time.

    `gate(i)`, when given, is awaited before item i is sent (the in-flight window). `sent_at[i]` is set just
    before item i is handed to the producer; the call returns when the broker has acknowledged everything.
    """
    start = time.monotonic()
    try:
        for i, item in enumerate(items):
            if rate is not None:
                delay = start + i / rate - time.monotonic()
                if delay > 0:  # a tick sends every item due by then: one wake-up per item would cost the
                    await asyncio.sleep(max(delay, _PACE_TICK_S))  # machine under test a fifth of a core
            elif i % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let the collector and the pollers run
            if gate is not None:
                await gate(i)
            now = time.time()
            sent_at[i] = now
            value = stamp(item.template, now) if stamped else item.template
            await producer.send(topic, value, key=item.key, headers=headers())
        await producer.flush()
    except KafkaError as exc:
        raise DependencyUnavailable(f"publishing failed: {type(exc).__name__}") from exc
