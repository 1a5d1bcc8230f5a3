"""Trace context travels through every stage; a trace its producer did not sample is passed on untouched."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

from streams.tracing import continue_trace, make_tracer, trace_id_of

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


@pytest.mark.parametrize(("headers", "expected"), [
    (_parent("01"), TRACE), (_parent("00"), TRACE), ([], None), ([("traceparent", b"garbage")], None),
    ([("traceparent", f"00-{'0' * 32}-{PARENT}-01".encode())], None),
])
def test_the_trace_id_of_a_message_is_its_traceparent_s(headers: list[tuple[str, bytes]], expected: str | None,
                                                         ) -> None:
    assert trace_id_of(headers) == expected
