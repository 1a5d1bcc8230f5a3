"""An outage's flood of identical log lines is held back and summarised."""

from __future__ import annotations

import io
import json
import logging
import sys
from datetime import datetime

from streams.logs import JsonFormatter, RepeatFilter, configure
from streams.tracing import make_tracer


def _record(msg: str, *args: object, name: str = "aiokafka") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_repeats_past_the_burst_are_held_back_and_counted_on_the_next_window() -> None:
    f = RepeatFilter(window_s=0.05, burst=2)
    passed = [f.filter(_record("Unable connect to node with id %s", i)) for i in range(100)]
    assert passed.count(True) == 2
    import time

    time.sleep(0.06)
    summary = _record("Unable connect to node with id %s", 101)
    assert f.filter(summary)
    assert "[98 more like this in the last" in summary.getMessage()


def test_different_kinds_are_counted_apart() -> None:
    f = RepeatFilter(window_s=60, burst=1)
    assert f.filter(_record("Unable to update metadata from %s", 1))
    assert f.filter(_record("Failed fetch messages from %s", 1))
    assert f.filter(_record("Unable to update metadata from %s", 1, name="other"))
    assert not f.filter(_record("Unable to update metadata from %s", 2))


def _json_lines(handler_stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in handler_stream.getvalue().splitlines()]


def test_a_json_line_has_the_time_level_logger_message_and_the_records_ids() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("invoiceflow.test.json")
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    try:
        log.warning("stage %s: dead-lettered %s", "detect", "t@0:1",
                    extra={"invoice_id": "inv-1", "tenant": "acme", "trace_id": "0af7651916cd43dd8448eb211c80319c",
                           "stage": "detect", "reason": "decode_error", "document": "IBAN DE89 3704"})
        log.info("plain")
    finally:
        log.removeHandler(handler)
    first, second = _json_lines(stream)
    assert list(first)[:4] == ["time", "level", "logger", "message"]
    assert first["level"] == "WARNING" and first["logger"] == "invoiceflow.test.json"
    assert first["message"] == "stage detect: dead-lettered t@0:1"
    assert (first["invoice_id"], first["tenant"], first["stage"], first["reason"]) == (
        "inv-1", "acme", "detect", "decode_error")
    assert first["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert "document" not in first  # only the named keys are taken from a record
    assert str(first["time"]).endswith("+00:00") and datetime.fromisoformat(str(first["time"]))
    assert set(second) == {"time", "level", "logger", "message"}


def test_a_json_line_takes_the_current_spans_ids_and_an_exceptions_type() -> None:
    formatter = JsonFormatter()
    tracer = make_tracer("t", 1.0)
    with tracer.start_as_current_span("work") as span:
        try:
            raise ValueError("boom")
        except ValueError:
            record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
        line = json.loads(formatter.format(record))
    ctx = span.get_span_context()
    assert line["trace_id"] == format(ctx.trace_id, "032x") and line["span_id"] == format(ctx.span_id, "016x")
    assert line["exception"] == "ValueError" and "Traceback" in str(line["traceback"])


def test_json_logs_still_hold_repeats_back() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure("INFO", "json")
        [handler] = root.handlers
        assert isinstance(handler.formatter, JsonFormatter)
        stream = io.StringIO()
        handler.setStream(stream)  # type: ignore[attr-defined]
        for i in range(10):
            logging.getLogger("aiokafka").error("Unable connect to node with id %s", i)
        lines = _json_lines(stream)
        assert len(lines) == 3 and all(line["logger"] == "aiokafka" for line in lines)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]


def test_text_stays_the_default() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure("INFO")
        assert not isinstance(root.handlers[0].formatter, JsonFormatter)
        assert any(isinstance(f, RepeatFilter) for f in root.handlers[0].filters)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
