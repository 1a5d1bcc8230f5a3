"""The dead-letter record: the original message untouched, Spring's headers with Spring's encodings, a digest
instead of a stack trace, and the legacy envelope still readable."""

from __future__ import annotations

import base64
import struct
from datetime import UTC, datetime

import pytest

from schemas import DeadLetter
from streams.deadletters import (
    Failure,
    Origin,
    dead_letter_headers,
    read_dead_letter,
    stack_digest,
)
from streams.errors import DocumentNotFound, UnreadableDeadLetter

VALUE = b'{"invoice_id": "inv-7", "tenant_id": "acme", "secret": "document text"}'
ORIGIN = Origin("p.invoices.received", 5, 123456789012, 1_764_000_000_000, 0)


def _failure() -> Failure:
    try:
        raise DocumentNotFound("referenced file does not exist")
    except DocumentNotFound as exc:
        return Failure("detect", exc, 2, "invoiceflow", datetime(2026, 12, 1, 8, 0, tzinfo=UTC))


def test_headers_say_where_it_came_from_in_springs_encodings_and_keep_the_original_ones() -> None:
    original = [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), ("x-other", b"1")]
    headers = dict(dead_letter_headers(original, ORIGIN, _failure(), VALUE))
    assert headers["kafka_dlt-original-topic"] == b"p.invoices.received"
    assert struct.unpack(">i", headers["kafka_dlt-original-partition"]) == (5,)
    assert struct.unpack(">q", headers["kafka_dlt-original-offset"]) == (123456789012,)
    assert struct.unpack(">q", headers["kafka_dlt-original-timestamp"]) == (1_764_000_000_000,)
    assert headers["kafka_dlt-original-timestamp-type"] == b"CreateTime"
    assert headers["kafka_dlt-original-consumer-group"] == b"invoiceflow"
    assert headers["kafka_dlt-exception-fqcn"] == b"streams.errors.DocumentNotFound"
    assert headers["kafka_dlt-exception-message"] == b"referenced file does not exist"
    assert (headers["x-invoiceflow-error"], headers["x-invoiceflow-stage"]) == (b"document_missing", b"detect")
    assert (headers["x-invoiceflow-tenant"], headers["x-invoiceflow-invoice-id"]) == (b"acme", b"inv-7")
    assert headers["traceparent"] == original[0][1] and headers["x-other"] == b"1"


def test_the_stacktrace_header_is_a_digest_of_code_locations_never_any_text() -> None:
    exc = _failure().error
    digest = stack_digest(exc)
    assert digest.startswith("streams.errors.DocumentNotFound sha256:") and "frames" in digest
    assert "does not exist" not in digest and "document text" not in digest
    assert digest == stack_digest(exc)  # equal failures group together


def test_a_dead_letter_reads_back_with_its_original_headers_apart() -> None:
    original = [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
                ("x-invoiceflow-replays", b"2")]
    headers = dead_letter_headers(original, ORIGIN, _failure(), VALUE)
    view = read_dead_letter(Origin("p.invoices.detect.dlq", 1, 9), b"inv-7", VALUE, headers)
    assert (view.origin.topic, view.origin.partition, view.origin.offset) == ("p.invoices.received", 5, 123456789012)
    assert (view.stage, view.reason, view.attempts, view.replays) == ("detect", "document_missing", 2, 2)
    assert view.first_failure == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert view.value == VALUE and view.key == b"inv-7"
    assert view.headers == original and view.trace_id == "0af7651916cd43dd8448eb211c80319c"
    replayed = dict(view.replay_headers())
    assert replayed["x-invoiceflow-replays"] == b"3" and "kafka_dlt-original-topic" not in replayed


def test_a_second_failure_does_not_stack_a_second_set_of_dead_letter_headers() -> None:
    first = dead_letter_headers([], ORIGIN, _failure(), VALUE)
    again = dead_letter_headers(first, ORIGIN, _failure(), VALUE)
    assert [k for k, _ in again].count("kafka_dlt-original-topic") == 1


def test_the_legacy_envelope_is_still_read() -> None:
    envelope = DeadLetter(event_id="e", stage="extract", source_topic="p.invoices.detected", partition=2, offset=7,
                          key="inv-1", invoice_id="inv-1", tenant_id="acme", error_code="paid_error",
                          error_message="refused", attempts=1, failed_at=datetime(2026, 1, 1, tzinfo=UTC),
                          payload_b64=base64.b64encode(VALUE).decode(), headers={"traceparent": "00-x"})
    view = read_dead_letter(Origin("p.invoices.extract.dlq", 0, 3), b"inv-1", envelope.model_dump_json().encode(),
                            [("x-invoiceflow-error", b"paid_error")])
    assert view.legacy and view.value == VALUE and view.reason == "paid_error" and view.stage == "extract"
    assert (view.origin.topic, view.origin.offset) == ("p.invoices.detected", 7)


@pytest.mark.parametrize("value", [b"not json", b'{"json": "but not an envelope"}', None])
def test_anything_else_on_a_dead_letter_topic_is_unreadable(value: bytes | None) -> None:
    with pytest.raises(UnreadableDeadLetter):
        read_dead_letter(Origin("p.invoices.detect.dlq", 0, 0), b"k", value, [])
