"""Trace context travels through every stage; a trace its producer did not sample is passed on untouched;
spans are exported only where OTEL_TRACES_EXPORTER says, and say what became of an invoice, never its fields."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from pydantic import ValidationError

from config.settings import Settings
from schemas import Decision, Route
from streams.errors import ConfigError, DependencyUnavailable
from streams.tracing import (
    Tracing,
    child_span,
    continue_trace,
    describe,
    log_ids,
    make_tracer,
    make_tracing,
    trace_id_of,
)

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"


def _parent(flags: str) -> list[tuple[str, bytes]]:
    return [("traceparent", f"00-{TRACE}-{PARENT}-{flags}".encode()), ("tracestate", b"vendor=abc"),
            ("x-invoiceflow-attempt", b"1")]


@pytest.mark.parametrize("flags", ["00", "02", "fe"])
def test_an_unsampled_trace_is_passed_on_as_it_came(flags: str) -> None:
    span, out = continue_trace(make_tracer("t", 1.0), "invoiceflow.detect", _parent(flags))
    assert not span.is_recording()
    assert out == _parent(flags)[:2]  # the trace headers only, unchanged


@pytest.mark.parametrize("flags", ["01", "03", "ff"])
def test_a_sampled_trace_continues_in_a_new_recorded_span(flags: str) -> None:
    span, out = continue_trace(make_tracer("t", 0.0), "invoiceflow.detect", _parent(flags))
    assert span.is_recording()  # the parent decided, not our ratio
    version, trace_id, parent_id, out_flags = dict(out)["traceparent"].decode().split("-")
    assert (version, trace_id, int(out_flags, 16) & 1) == ("00", TRACE, 1)
    assert parent_id == format(span.get_span_context().span_id, "016x") != PARENT
    span.end()


@pytest.mark.parametrize("traceparent", [None, b"00-" + b"0" * 32 + b"-b7ad6b7169203331-00",
                                         b"00-0af7651916cd43dd8448eb211c80319c-" + b"0" * 16 + b"-00",
                                         b"zz-garbage", b"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-00"])
def test_no_or_a_malformed_parent_starts_a_new_trace(traceparent: bytes | None) -> None:
    headers = [("traceparent", traceparent)] if traceparent is not None else []
    span, out = continue_trace(make_tracer("t", 1.0), "invoiceflow.detect", headers)
    assert span.is_recording() and span.get_span_context().trace_id != int(TRACE, 16)
    assert dict(out)["traceparent"].decode().split("-")[1] == format(span.get_span_context().trace_id, "032x")
    span.end()


def test_the_shortcut_is_only_for_a_tracer_that_follows_its_parent() -> None:
    tracer = TracerProvider(sampler=ALWAYS_ON).get_tracer("t")  # records whatever the parent says
    span, out = continue_trace(tracer, "invoiceflow.detect", _parent("00"))
    assert span.is_recording()
    assert dict(out)["traceparent"].decode().split("-")[1:3] == [TRACE, format(span.get_span_context().span_id, "016x")]
    span.end()


def test_nothing_is_exported_unless_otel_traces_exporter_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert make_tracing(Settings(), "invoiceflow-worker", "t").exporters == ()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp,console")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "billing")
    tracing = make_tracing(Settings(), "invoiceflow-worker", "t")
    assert tracing.exporters == ("otlp", "console")
    assert tracing.provider.resource.attributes["service.name"] == "billing"
    tracing.shutdown(0.1)
    with pytest.raises(ValidationError):
        Settings(traces_exporter="zipkin")


def test_the_default_service_name_says_which_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    tracing = make_tracing(Settings(), "invoiceflow-publisher", "t")
    assert tracing.provider.resource.attributes["service.name"] == "invoiceflow-publisher"


def test_otlp_over_grpc_is_built_or_refused_with_a_clear_error() -> None:
    try:
        import opentelemetry.exporter.otlp.proto.grpc  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="otlp-grpc"):
            make_tracing(Settings(traces_exporter="otlp", otlp_protocol="grpc"), "w", "t")
    else:
        make_tracing(Settings(traces_exporter="otlp", otlp_protocol="grpc"), "w", "t").shutdown(0.1)


def test_shutdown_flushes_what_the_batch_processor_still_holds() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=60_000))
    tracing = Tracing(provider.get_tracer("t"), provider, ("memory",))
    tracing.tracer.start_span("invoiceflow.detect").end()
    assert exporter.get_finished_spans() == ()  # still buffered
    tracing.shutdown()
    assert [s.name for s in exporter.get_finished_spans()] == ["invoiceflow.detect"]


def test_a_span_describes_what_became_of_the_invoice_never_its_fields() -> None:
    tracer = make_tracer("t", 1.0)
    span = tracer.start_span("invoiceflow.score")
    scored = SimpleNamespace(tenant_id="acme", invoice_id="inv-1", route=Route.STRUCTURED, format=None,
                             extractor="ubl", decision=Decision.REVIEW, seller_name="Secret GmbH",
                             reasons=[SimpleNamespace(code="iban_changed", message="IBAN DE89 changed")],
                             extraction_reasons=())
    describe(span, scored, **{"invoiceflow.paid.pages": 2})
    attributes = dict(span.attributes or {})
    assert attributes == {"invoiceflow.tenant": "acme", "invoiceflow.invoice_id": "inv-1",
                          "invoiceflow.route": "structured", "invoiceflow.extractor": "ubl",
                          "invoiceflow.decision": "review", "invoiceflow.reason_codes": ("iban_changed",),
                          "invoiceflow.paid.pages": 2}
    span.end()
    describe(trace.INVALID_SPAN, scored)  # not recorded: nothing to do, nothing raised


def test_a_child_span_is_recorded_only_under_a_recorded_parent_and_keeps_the_error_code() -> None:
    tracer = make_tracer("t", 1.0)
    with child_span(tracer, trace.INVALID_SPAN, "invoiceflow.paid_extraction") as child:
        assert child is trace.INVALID_SPAN
    parent = tracer.start_span("invoiceflow.extract")
    with pytest.raises(DependencyUnavailable), \
            child_span(tracer, parent, "invoiceflow.paid_extraction", trace.SpanKind.CLIENT) as child:
        raise DependencyUnavailable("paid service down")
    assert child.parent is not None and child.parent.span_id == parent.get_span_context().span_id
    assert child.get_span_context().trace_id == parent.get_span_context().trace_id
    assert dict(child.attributes or {})["invoiceflow.error"] == "dependency_down"  # type: ignore[attr-defined]
    assert not child.is_recording()  # ended


@pytest.mark.parametrize(("flags", "span_id"), [("01", True), ("00", False)])
def test_log_ids_come_from_the_traceparent(flags: str, span_id: bool) -> None:
    ids = log_ids(_parent(flags))
    assert ids.get("trace_id") == TRACE and ("span_id" in ids) is span_id
    assert log_ids([("traceparent", b"zz-garbage")]) == {} and log_ids([]) == {}


@pytest.mark.parametrize(("headers", "expected"), [
    (_parent("01"), TRACE), (_parent("00"), TRACE), ([], None), ([("traceparent", b"garbage")], None),
    ([("traceparent", f"00-{'0' * 32}-{PARENT}-01".encode())], None),
])
def test_the_trace_id_of_a_message_is_its_traceparent_s(headers: list[tuple[str, bytes]], expected: str | None,
                                                         ) -> None:
    assert trace_id_of(headers) == expected
