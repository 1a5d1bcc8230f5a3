"""W3C trace context carried in Kafka headers, and where recorded spans go.

Every stage continues the trace of the message it consumed: it extracts `traceparent`/`tracestate` from
the incoming headers, opens a span for its work, and injects the span's context into the headers of what it
produces; so an invoice is one trace from its publication to its PostgreSQL row. The tracer provider is the
OpenTelemetry SDK's, one per process (never the global one). Recorded spans are exported as OpenTelemetry's
standard variables say (`OTEL_TRACES_EXPORTER`: `otlp` over HTTP or gRPC, `console`, or `none`, the default,
read into `Settings`): through a `BatchSpanProcessor`, off the event loop, flushed by `Tracing.shutdown`.
Without an exporter spans are dropped after sampling, but the context still travels.

A span says what became of its invoice (`describe`: tenant, route, format, extractor, decision, reason
codes) and never what the document says: no field value, no file name, no message text.

Sampling follows the parent: a trace its producer did not sample is recorded by no stage. For such a message
`continue_trace` skips the SDK (extract, span, inject: ~24 us a hop, 4% of a worker at full rate) and passes
the trace context on as it came, which W3C Trace Context allows a participant that records nothing to do.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from config.settings import Settings
from streams.errors import ConfigError, InvoiceflowError

Headers = list[tuple[str, bytes]]

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACE_KEYS = ("traceparent", "tracestate")
# version 00, non-zero trace and parent ids, the sampled bit (the last hex digit's lowest bit) clear
_UNSAMPLED = re.compile(rb"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f][02468ace]")
_TRACEPARENT = re.compile(rb"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")


# event field -> span attribute: what became of the invoice, never what its document says
_DESCRIBED = (("tenant_id", "invoiceflow.tenant"), ("invoice_id", "invoiceflow.invoice_id"),
              ("route", "invoiceflow.route"), ("format", "invoiceflow.format"),
              ("doc_type", "invoiceflow.doc_type"), ("extractor", "invoiceflow.extractor"),
              ("decision", "invoiceflow.decision"), ("policy_version", "invoiceflow.policy_version"))
_REASON_LISTS = ("reasons", "extraction_reasons")


def make_tracer(service: str, sample_ratio: float = 1.0) -> trace.Tracer:
    """A tracer with its own SDK provider (never the global one, so tests stay isolated), exporting nothing."""
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(sample_ratio)))
    return provider.get_tracer(service)


@dataclass(frozen=True, slots=True)
class Tracing:
    """A process' tracer and the provider behind it; `shutdown` exports what is still buffered."""

    tracer: trace.Tracer
    provider: TracerProvider
    exporters: tuple[str, ...] = ()

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Flush the recorded spans to the exporters (blocking, up to `timeout_s`) and stop them."""
        if self.exporters:
            self.provider.force_flush(round(timeout_s * 1000))
        self.provider.shutdown()

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """`shutdown` from the event loop: an export that waits on the network waits in a thread."""
        if self.exporters:
            await asyncio.to_thread(self.shutdown, timeout_s)
        else:
            self.provider.shutdown()


def make_tracing(settings: Settings, service: str, scope: str) -> Tracing:
    """The tracer of one process: its settings' sampling and exporters, `service` its default service.name.

    Raises:
        ConfigError: gRPC asked for and its exporter package not installed.
    """
    resource = Resource.create({SERVICE_NAME: settings.service_name or service})
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(settings.trace_sample_ratio)), resource=resource)
    names = tuple(n for n in settings.traces_exporter.split(",") if n != "none")
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name, settings.otlp_protocol)))
    return Tracing(provider.get_tracer(scope), provider, names)


def _exporter(name: str, protocol: str) -> SpanExporter:
    """One exporter; OTLP's reads its endpoint, headers, timeout and TLS files from OTEL_EXPORTER_OTLP_*."""
    if name == "console":
        return ConsoleSpanExporter()
    if protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as Grpc
        except ImportError as exc:
            raise ConfigError("OTLP over gRPC needs opentelemetry-exporter-otlp-proto-grpc "
                              "(pip install 'invoiceflow[otlp-grpc]'), or set OTEL_EXPORTER_OTLP_PROTOCOL="
                              "http/protobuf") from exc
        exporter: SpanExporter = Grpc()
        return exporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as Http

    return Http()


def describe(span: trace.Span, event: object, **more: AttributeValue) -> None:
    """Put what became of an invoice on its stage's span (if recorded): the ids, tenant, route, format,
    extractor, decision and reason codes `event` carries, and `more`. Never a field value or message text."""
    if not span.is_recording():
        return
    attributes: dict[str, AttributeValue] = {}
    for name, key in _DESCRIBED:
        value = getattr(event, name, None)
        if value is not None:
            attributes[key] = value.value if isinstance(value, Enum) else str(value)
    codes = [str(r.code) for name in _REASON_LISTS for r in getattr(event, name, None) or ()]
    if codes:
        attributes["invoiceflow.reason_codes"] = codes
    attributes.update(more)
    span.set_attributes(attributes)


@contextmanager
def child_span(tracer: trace.Tracer, parent: trace.Span, name: str,
               kind: trace.SpanKind = trace.SpanKind.INTERNAL) -> Iterator[trace.Span]:
    """A span under `parent` while the block runs, recorded only if `parent` is (else a no-op: no SDK work).
    An `InvoiceflowError` leaving the block marks it failed with its code."""
    if not parent.is_recording():
        yield trace.INVALID_SPAN
        return
    span = tracer.start_span(name, context=trace.set_span_in_context(parent), kind=kind)
    try:
        yield span
    except InvoiceflowError as exc:
        span.set_attribute("invoiceflow.error", exc.code)
        span.set_status(trace.StatusCode.ERROR, exc.code)
        raise
    finally:
        span.end()


def log_ids(headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    """The trace id (and, if the trace is sampled, the span id) a message's `traceparent` carries, for a log line."""
    parent = next((v for k, v in headers if k == "traceparent" and v is not None), None)
    if parent is None or len(parent) != 55 or _TRACEPARENT.match(parent) is None:
        return {}
    ids = {"trace_id": parent[3:35].decode("ascii")}
    if int(parent[53:55], 16) & 1:
        ids["span_id"] = parent[36:52].decode("ascii")
    return ids


def context_from_headers(headers: Mapping[str, bytes] | Sequence[tuple[str, bytes]] | None) -> Context:
    """The trace context carried by a message's headers (empty context when there is none)."""
    carrier: dict[str, str] = {}
    if headers:
        items = headers.items() if isinstance(headers, Mapping) else headers
        for key, value in items:
            if key in _TRACE_KEYS and value is not None:
                carrier[key] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return _PROPAGATOR.extract(carrier)


def continue_trace(tracer: trace.Tracer, name: str, headers: Sequence[tuple[str, bytes]] | None,
                   ) -> tuple[trace.Span, Headers]:
    """Open a consumer span continuing the trace in `headers`; returns it and the headers for the output.

    An unsampled parent (and a parent-based sampler, ours) means nothing is recorded: the span is a no-op and
    the incoming context travels on unchanged.
    """
    carried = [(k, v) for k, v in headers or () if k in _TRACE_KEYS and v is not None]
    parent = next((v for k, v in carried if k == "traceparent"), None)
    follows_parent = isinstance(getattr(tracer, "sampler", None), ParentBased)
    if parent is not None and follows_parent and _UNSAMPLED.fullmatch(parent):
        return trace.INVALID_SPAN, carried
    span = tracer.start_span(name, context=context_from_headers(carried), kind=trace.SpanKind.CONSUMER)
    return span, headers_for(trace.set_span_in_context(span))


def headers_for(context: Context | None = None) -> Headers:
    """Headers carrying `context` (or the current span's context)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=context)
    return [(k, v.encode("latin-1")) for k, v in carrier.items()]


@contextmanager
def stage_span(tracer: trace.Tracer, name: str, parent: Context, invoice_id: str | None) -> Iterator[Headers]:
    """Run a stage's work in a span continuing `parent`; yields the headers to put on its output."""
    with tracer.start_as_current_span(name, context=parent, kind=trace.SpanKind.CONSUMER) as span:
        if invoice_id is not None and span.is_recording():
            span.set_attribute("invoiceflow.invoice_id", invoice_id)
        yield headers_for()


def trace_id_of(headers: Sequence[tuple[str, bytes]] | None) -> str | None:
    """The trace id (32 hex digits) of the `traceparent` in `headers`, None when there is no valid one."""
    return log_ids(headers or ()).get("trace_id")
