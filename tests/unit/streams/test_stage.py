"""The stage runner routes every outcome: output, retry with attempt count, or dead letter with its code."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry import trace

from config.settings import Settings
from streams.deadletters import DeadLetterView, Origin, read_dead_letter
from streams.errors import (
    DecodeError,
    DependencyUnavailable,
    InvoiceflowError,
    RecordRefused,
    SinkError,
    UnknownTenant,
)
from streams.headers import ATTEMPT_HEADER, NOT_BEFORE_HEADER
from streams.stage import CRASH_LIMIT, BatchHandler, Inbound, Outbound, Outcome, StageRunner, per_event
from streams.tracing import Headers, make_tracer


@dataclass
class FakeMessage:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    topic: str = "p.invoices.received"
    partition: int = 3
    offset: int = 42


@dataclass
class FakeEvent:
    message: FakeMessage


@dataclass
class FakeProducer:
    sent: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes | None, headers: Headers) -> None:
        self.sent.append((topic, key or b"", value or b"", list(headers)))


@dataclass
class FakeApp:
    """What a runner is built from, with the producer's sends kept."""

    settings: Settings = field(default_factory=lambda: Settings(topic_prefix="p."))
    tracer: trace.Tracer = field(default_factory=lambda: make_tracer("test"))
    producer: FakeProducer = field(default_factory=FakeProducer)

    def runner(self, stage: str, handler: BatchHandler, **options: Any) -> StageRunner:
        return StageRunner(stage, handler, settings=self.settings, tracer=self.tracer, producer=self.producer,
                           **options)


def _letter(sent: tuple[str, bytes, bytes, list[tuple[str, bytes]]]) -> DeadLetterView:
    return read_dead_letter(Origin(sent[0], 0, 0), sent[1], sent[2], sent[3])


async def _handler(msg: Inbound) -> Sequence[Outbound]:
    if msg.value == b"bad":
        raise DecodeError("not json")
    if msg.value == b"later":
        raise DependencyUnavailable("down")
    return [Outbound("invoices.detected", msg.key or b"", msg.value or b"", msg.out_headers)]


async def test_success_goes_to_output_with_trace_headers() -> None:
    app = FakeApp()
    runner = app.runner("detect", per_event(_handler))
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    await runner.process([FakeEvent(FakeMessage(b"k", b"ok", [("traceparent", parent.encode())]))])
    [(topic, key, value, headers)] = app.producer.sent
    assert (topic, key, value) == ("p.invoices.detected", b"k", b"ok")
    traceparent = dict(headers)["traceparent"].decode()
    assert traceparent.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"  # same trace, new span
    assert traceparent.split("-")[2] != "b7ad6b7169203331"
    assert runner.stats.processed == 1 and runner.stats.produced == 1


async def test_permanent_error_is_dead_lettered_and_batch_continues() -> None:
    app = FakeApp()
    runner = app.runner("detect", per_event(_handler))
    await runner.process([FakeEvent(FakeMessage(b"a", b"bad", [])), FakeEvent(FakeMessage(b"b", b"ok", []))])
    topics = [s[0] for s in app.producer.sent]
    assert topics == ["p.invoices.detect.dlq", "p.invoices.detected"]
    _, key, value, headers = app.producer.sent[0]
    assert (key, value) == (b"a", b"bad")  # the original, untouched
    letter = _letter(app.producer.sent[0])
    assert letter.reason == "decode_error" and letter.stage == "detect"
    assert (letter.origin.topic, letter.origin.partition, letter.origin.offset) == ("p.invoices.received", 3, 42)
    assert dict(headers)["x-invoiceflow-error"] == b"decode_error"
    assert dict(headers)["kafka_dlt-original-partition"] == (3).to_bytes(4, "big")  # as Spring writes it
    assert dict(headers)["kafka_dlt-original-offset"] == (42).to_bytes(8, "big")
    assert dict(headers)["kafka_dlt-original-consumer-group"] == b"invoiceflow"
    assert dict(headers)["kafka_dlt-exception-fqcn"] == b"streams.errors.DecodeError"
    assert b"not json" not in dict(headers)["kafka_dlt-exception-stacktrace"]  # a digest, never the text


async def test_retriable_error_goes_through_the_retry_tiers_then_to_the_dead_letters() -> None:
    import time

    app = FakeApp()
    runner = app.runner("detect", per_event(_handler), retry_delays_s=(10.0, 60.0))
    began = time.time()
    await runner.process([FakeEvent(FakeMessage(b"a", b"later", []))])
    topic, _, value, headers = app.producer.sent[-1]
    assert topic == "p.invoices.detect.retry" and value == b"later"
    assert dict(headers)[ATTEMPT_HEADER] == b"1"
    assert began + 9.99 <= float(dict(headers)[NOT_BEFORE_HEADER]) < began + 11  # the first tier
    first = dict(headers)["x-invoiceflow-first-failure"]

    def due(headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:  # its wait is over
        return [(k, v) for k, v in headers if k != NOT_BEFORE_HEADER]

    await runner.process([FakeEvent(FakeMessage(b"a", b"later", due(headers)))])
    topic, _, _, headers = app.producer.sent[-1]
    assert topic == "p.invoices.detect.retry.2" and dict(headers)[ATTEMPT_HEADER] == b"2"  # the tier's topic
    assert float(dict(headers)[NOT_BEFORE_HEADER]) >= began + 59.999  # the second tier (the header has ms)
    await runner.process([FakeEvent(FakeMessage(b"a", b"later", due(headers)))])
    letter = _letter(app.producer.sent[-1])
    assert app.producer.sent[-1][0] == "p.invoices.detect.dlq"
    assert letter.attempts == 3 and letter.reason == "dependency_down"
    assert letter.first_failure is not None and letter.first_failure.isoformat().encode() == first


async def test_batch_handler_outcomes_line_up_with_messages() -> None:
    app = FakeApp()

    async def whole_batch(batch: Sequence[Inbound]) -> Sequence[Outcome]:
        return [InvoiceflowError("x") if m.value == b"x" else () for m in batch]

    runner = app.runner("aggregate", whole_batch)
    await runner.process([FakeEvent(FakeMessage(b"1", b"ok", [])), FakeEvent(FakeMessage(b"2", b"x", []))])
    assert [s[0] for s in app.producer.sent] == ["p.invoices.aggregate.dlq"]
    assert app.producer.sent[0][1] == b"2"


class FakeStream:
    def __init__(self, batches: list[list[FakeEvent]]) -> None:
        self.batches = batches
        self.acked: list[int] = []

    async def noack_take(self, size: int, within: float) -> Any:
        for batch in self.batches:
            yield batch

    async def ack(self, event: FakeEvent) -> None:
        self.acked.append(event.message.offset)


async def test_windowed_mode_overlaps_slow_events_and_acks_each_when_produced() -> None:
    import asyncio
    import time

    app = FakeApp()
    in_flight = 0
    peak = 0

    async def slow(msg: Inbound) -> Sequence[Outbound]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return [Outbound("invoices.extracted", msg.key or b"", msg.value or b"")]

    runner = app.runner("extract", per_event(slow), max_in_flight=4)
    events = [FakeEvent(FakeMessage(str(i).encode(), b"v", [], offset=i)) for i in range(12)]
    stream = FakeStream([events[:5], events[5:]])
    started = time.perf_counter()
    await runner.consume(stream)
    elapsed = time.perf_counter() - started
    assert sorted(stream.acked) == list(range(12))
    assert len(app.producer.sent) == 12
    assert peak == 4  # never more than the window
    assert elapsed < 12 * 0.05 * 0.6  # overlapped, not one after the other


async def test_a_forged_attempt_header_is_dead_lettered_before_the_stage_sees_it() -> None:
    app = FakeApp()
    seen: list[bytes | None] = []

    async def handler(msg: Inbound) -> Sequence[Outbound]:
        seen.append(msg.value)
        return await _handler(msg)

    runner = app.runner("detect", per_event(handler))
    await runner.process([FakeEvent(FakeMessage(b"a", b"ok", [(ATTEMPT_HEADER, b"abc")])),
                          FakeEvent(FakeMessage(b"b", b"ok", []))])
    assert seen == [b"ok"]  # only the second
    assert [s[0] for s in app.producer.sent] == ["p.invoices.detect.dlq", "p.invoices.detected"]
    assert _letter(app.producer.sent[0]).reason == "bad_header"


async def test_a_not_before_far_in_the_future_does_not_hold_its_batch() -> None:
    import time

    app = FakeApp()
    runner = app.runner("detect", per_event(_handler), retry_delays_s=(5.0,))
    began = time.perf_counter()
    await runner.process([FakeEvent(FakeMessage(b"a", b"ok", [(NOT_BEFORE_HEADER, b"1e30")])),
                          FakeEvent(FakeMessage(b"b", b"ok", []))])
    assert time.perf_counter() - began < 1.0
    assert [s[0] for s in app.producer.sent] == ["p.invoices.detect.dlq", "p.invoices.detected"]


async def _sink_down(batch: Sequence[Inbound]) -> Sequence[Outcome]:
    raise SinkError("redis dedupe: ConnectionError")


async def test_a_batch_handler_whose_sink_is_down_fails_its_records_instead_of_the_worker() -> None:
    app = FakeApp()
    runner = app.runner("detect", _sink_down)
    await runner.process([FakeEvent(FakeMessage(b"a", b"x", [])), FakeEvent(FakeMessage(b"b", b"y", []))])
    assert [s[0] for s in app.producer.sent] == ["p.invoices.detect.retry"] * 2


async def test_an_outage_is_held_in_place_when_the_host_holds_records() -> None:
    app = FakeApp()
    runner = app.runner("detect", _sink_down, hold_outages=True)
    routed = await runner.route([FakeMessage(b"a", b"x", []), FakeMessage(b"b", b"y", [])])
    assert [r.sends for r in routed] == [(), ()]
    assert all(isinstance(r.held, SinkError) for r in routed)
    assert runner.stats.retried == 0 and runner.stats.dead_lettered == 0


async def test_the_runner_counts_failures_by_reason_held_records_and_batch_times() -> None:
    app = FakeApp()
    held = app.runner("aggregate", _sink_down, hold_outages=True)
    await held.route([FakeMessage(b"a", b"x", []), FakeMessage(b"b", b"y", [])])
    assert (held.stats.held, held.stats.failures) == (2, {"sink_error": 2})
    runner = app.runner("detect", per_event(_handler))
    await runner.process([FakeEvent(FakeMessage(b"a", b"bad", [])), FakeEvent(FakeMessage(b"b", b"later", [])),
                          FakeEvent(FakeMessage(b"c", b"ok", []))])
    stats = runner.stats
    assert (stats.processed, stats.produced, stats.retried, stats.dead_lettered, stats.held) == (3, 1, 1, 1, 0)
    assert stats.failures == {"decode_error": 1, "dependency_down": 1}
    assert stats.batch_seconds.count == 1 and stats.batch_seconds.total > 0


async def test_a_dead_letter_or_retry_log_line_carries_the_trace_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = FakeApp()
    runner = app.runner("detect", per_event(_handler))
    parent = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    with caplog.at_level(logging.WARNING, logger="invoiceflow.stage"):
        await runner.process([FakeEvent(FakeMessage(b"inv-7", b"later", [("traceparent", parent)])),
                              FakeEvent(FakeMessage(b"inv-8", b"bad", [("traceparent", parent)]))])
    retry, letter = [r for r in caplog.records if r.name == "invoiceflow.stage"]  # not another test's leftovers
    assert (retry.stage, retry.reason, retry.trace_id) == ("detect", "dependency_down", parent[3:35].decode())
    assert not hasattr(retry, "span_id")  # an unsampled trace: no span of ours to point at
    assert (letter.reason, letter.trace_id) == ("decode_error", parent[3:35].decode())
    assert not hasattr(letter, "invoice_id")  # the value could not be read: no id is guessed


async def test_the_ids_of_a_readable_record_reach_its_log_line(caplog: pytest.LogCaptureFixture) -> None:
    app = FakeApp()

    async def refuse(msg: Inbound) -> Sequence[Outbound]:
        raise UnknownTenant("tenant 'acme' has no policy")

    runner = app.runner("detect", per_event(refuse))
    value = b'{"invoice_id": "inv-9", "tenant_id": "acme", "seller": "Secret GmbH"}'
    with caplog.at_level(logging.WARNING, logger="invoiceflow.stage"):
        await runner.process([FakeEvent(FakeMessage(b"inv-9", value, []))])
    [line] = caplog.records
    assert (line.invoice_id, line.tenant, line.reason) == ("inv-9", "acme", "unknown_tenant")
    assert "Secret" not in line.getMessage() and "Secret" not in str(vars(line))


async def _poisoned(batch: Sequence[Inbound]) -> Sequence[Outcome]:
    """A batch handler with a bug one record meets (a value it divides by), which it raises for the batch."""
    outcomes: list[Outcome] = []
    for msg in batch:
        divisor = int(msg.value or b"1")
        outcomes.append([Outbound("invoices.detected", msg.key or b"", str(100 // divisor).encode(),
                                  msg.out_headers)])
    return outcomes


async def test_a_record_that_meets_a_bug_is_dead_lettered_and_its_batch_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    app = FakeApp()
    runner = app.runner("detect", _poisoned)
    caplog.set_level(logging.ERROR, logger="invoiceflow.stage")
    routed = await runner.route([FakeMessage(b"a", b"4", []), FakeMessage(b"b", b"0", []),
                                 FakeMessage(b"c", b"5", [])])
    assert [[o.value for o in r.sends] for r in (routed[0], routed[2])] == [[b"25"], [b"20"]]
    (letter,) = routed[1].sends
    assert letter.topic == "p.invoices.detect.dlq" and letter.value == b"0"  # the original, untouched
    headers = dict(letter.headers)
    assert headers["x-invoiceflow-error"] == b"stage_failed"
    assert headers["kafka_dlt-exception-fqcn"] == b"streams.errors.StageFailed"
    assert b"test_stage.py" not in headers["kafka_dlt-exception-stacktrace"]  # a digest of where, never text
    assert runner.stats.failures == {"stage_failed": 1} and runner.stats.dead_lettered == 1
    (line,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "ZeroDivisionError raised at test_stage.py" in line.getMessage()
    assert "division by zero" not in line.getMessage()  # the exception's text may quote a document: never logged


async def test_a_stage_whose_every_record_meets_the_bug_stops_loudly() -> None:
    app = FakeApp()
    runner = app.runner("detect", _poisoned)
    for n in range(CRASH_LIMIT - 1):  # one at a time, as a windowed lane hands them over
        (routed,) = await runner.route([FakeMessage(str(n).encode(), b"0", [])])
        assert [s.topic for s in routed.sends] == ["p.invoices.detect.dlq"]
    with pytest.raises(ZeroDivisionError):
        await runner.route([FakeMessage(b"last", b"0", [])])
    # a record handled in between starts the count again
    fresh = app.runner("detect", _poisoned)
    for n in range(CRASH_LIMIT * 2):
        await fresh.route([FakeMessage(str(n).encode(), b"0" if n % 2 else b"2", [])])
    assert fresh.stats.failures == {"stage_failed": CRASH_LIMIT}


async def _refuses_poison(batch: Sequence[Inbound]) -> Sequence[Outcome]:
    """A sink-like batch handler: one statement for the batch, refused whole when a record holds a bad value."""
    if any(msg.value == b"poison" for msg in batch):
        raise RecordRefused("postgres refused the batch: NumericValueOutOfRangeError")
    return [[Outbound("invoices.detected", msg.key or b"", msg.value or b"", msg.out_headers)] for msg in batch]


async def test_a_batch_refused_for_good_is_tried_record_by_record() -> None:
    runner = FakeApp().runner("aggregate", _refuses_poison, hold_outages=True)
    routed = await runner.route([FakeMessage(b"a", b"ok", []), FakeMessage(b"b", b"poison", []),
                                 FakeMessage(b"c", b"fine", [])])
    assert [[s.topic for s in r.sends] for r in routed] == [
        ["p.invoices.detected"], ["p.invoices.aggregate.dlq"], ["p.invoices.detected"]]
    assert dict(routed[1].sends[0].headers)["x-invoiceflow-error"] == b"record_refused"
    assert runner.stats.failures == {"record_refused": 1} and all(r.held is None for r in routed)
