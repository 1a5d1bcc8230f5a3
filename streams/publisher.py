"""Publish documents as `InvoiceReceived` events (and reviews as `InvoiceReviewed`) with a plain aiokafka
producer.

Used by `invoiceflow publish`, the demo, the benchmark, `invoiceflow review` and the service's review
endpoint. A document travels by reference (`file://` with its sha256 and size) unless asked inline and small
enough; every event is keyed by its invoice id and opens a new trace whose context rides in the headers.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from aiokafka.errors import KafkaError
from opentelemetry import trace

from config.settings import Settings
from config.topics import RECEIVED
from schemas import DocumentRef, Event, InvoiceReceived, event_id_for
from streams.codecs import encode
from streams.errors import DependencyUnavailable, DocumentNotFound, DocumentTooLarge
from streams.kafka_clients import edge_producer
from streams.topics import topic_name
from streams.tracing import Headers, describe, headers_for, make_tracing

_SKIP = {"truth.jsonl", "LICENSE", "README.md"}
E = TypeVar("E", bound=Event)


def iter_documents(paths: Sequence[Path]) -> Iterator[Path]:
    """Files named, and files under folders named (sorted, hidden files and truth files skipped)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not _skipped(p))
        elif path.is_file():
            yield path
        else:
            raise DocumentNotFound(f"no such file or folder: {path}")


def _skipped(path: Path) -> bool:
    return path.name in _SKIP or any(part.startswith(".") for part in path.parts)


def received_for_file(path: Path, tenant: str, settings: Settings, *, inline: bool = False,
                      invoice_id: str | None = None, source: str = "cli") -> InvoiceReceived:
    """The event announcing one file, after checking it exists and is under the size cap."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise DocumentNotFound(f"no such file: {path}") from exc
    if size > settings.max_document_bytes:
        raise DocumentTooLarge(f"{path} is {size} bytes, over the cap of {settings.max_document_bytes}")
    data = path.read_bytes()
    return received_for_bytes(data, tenant, settings, inline=inline, invoice_id=invoice_id, source=source,
                              filename=path.name, uri=path.resolve().as_uri())


def received_for_bytes(data: bytes, tenant: str, settings: Settings, *, inline: bool, invoice_id: str | None,
                       source: str, filename: str | None, uri: str | None) -> InvoiceReceived:
    """The event announcing a document held in memory (inline when asked and small enough)."""
    sha = hashlib.sha256(data).hexdigest()
    as_inline = (inline and len(data) <= settings.inline_max_bytes) or uri is None
    if as_inline and len(data) > settings.inline_max_bytes:
        raise DocumentTooLarge(f"{len(data)} bytes is over the inline cap of {settings.inline_max_bytes}")
    ctype = (mimetypes.guess_type(filename)[0] if filename else None) or "application/octet-stream"
    doc = DocumentRef(
        uri=None if as_inline else uri,
        inline_b64=base64.b64encode(data).decode() if as_inline else None,
        sha256=sha, size=len(data), content_type=ctype, filename=filename,
    )
    inv = invoice_id or str(uuid.uuid4())
    return InvoiceReceived(event_id=event_id_for("received", inv, sha), invoice_id=inv, tenant_id=tenant,
                           received_at=datetime.now(UTC), document=doc, source=source)


class Publisher:
    """A started aiokafka producer that publishes events to one topic (use as an async context manager).

    The topic is `invoices.received` unless another (base name) is given, e.g. `invoices.reviewed`.
    """

    def __init__(self, settings: Settings, topic: str = RECEIVED) -> None:
        self.settings = settings
        self.topic = topic_name(settings, topic)
        self._tracing = make_tracing(settings, "invoiceflow-publisher", "invoiceflow.publisher")
        self._producer = edge_producer(settings)

    async def __aenter__(self) -> Publisher:
        try:
            await self._producer.start()
        except KafkaError as exc:
            raise DependencyUnavailable(f"Kafka at {self.settings.kafka_bootstrap} did not answer") from exc
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self._producer.stop()
        finally:
            await self._tracing.aclose()

    def _headers(self, event: Event) -> Headers:
        span = self._tracing.tracer.start_span("invoiceflow.publish", kind=trace.SpanKind.PRODUCER)
        describe(span, event)
        headers = headers_for(trace.set_span_in_context(span))
        span.end()
        return headers

    async def publish(self, events: Iterable[E], on_sent: Callable[[E], object] | None = None) -> int:
        """Send every event (batched by the producer), wait for all acks; returns the count."""
        futures = []
        for ev in events:
            fut = await self._producer.send(self.topic, encode(ev), key=ev.invoice_id.encode(),
                                            headers=self._headers(ev))
            futures.append((fut, ev))
        for fut, ev in futures:
            try:
                await fut
            except KafkaError as exc:
                raise DependencyUnavailable(f"publishing failed: {type(exc).__name__}") from exc
            if on_sent:
                on_sent(ev)
        return len(futures)
