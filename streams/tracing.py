"""W3C trace context carried in Kafka headers.

Every stage continues the trace of the message it consumed: it extracts `traceparent`/`tracestate` from
the incoming headers, opens a span for its work, and injects the span's context into the headers of what it
produces. The tracer provider is the OpenTelemetry SDK's; without an exporter configured spans are dropped
after sampling, but the context still travels, so an operator can follow one invoice across topics.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

Headers = list[tuple[str, bytes]]

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACE_KEYS = ("traceparent", "tracestate")


def make_tracer(service: str, sample_ratio: float = 1.0) -> trace.Tracer:
    """A tracer with its own SDK provider (never the global one, so tests stay isolated)."""
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(sample_ratio)))
    return provider.get_tracer(service)


def context_from_headers(headers: Mapping[str, bytes] | Sequence[tuple[str, bytes]] | None) -> Context:
    """The trace context carried by a message's headers (empty context when there is none)."""
    carrier: dict[str, str] = {}
    if headers:
        items = headers.items() if isinstance(headers, Mapping) else headers
        for key, value in items:
            if key in _TRACE_KEYS and value is not None:
                carrier[key] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return _PROPAGATOR.extract(carrier)


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
