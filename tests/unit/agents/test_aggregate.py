"""The aggregate stage: counter increments, the vendor facts approvals teach, and its shell over the sinks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from agents.aggregate import aggregate, aggregate_agent, vendors_learned
from schemas import Cost, Decision, Reason
from streams.codecs import encode
from streams.errors import DecodeError, SinkError
from streams.sinks.fakes import FakeCounterStore, FakeHistoryIndex, FakeRecordStore
from streams.stage import Inbound
from streams.tally import Observations
from tests.records_helpers import scored
from tests.unit.agents._contexts import TestResources, stage_context


def test_counter_increments_are_keyed_by_event_id() -> None:
    ev = scored("a", "t")
    delta = aggregate(ev)
    assert delta.event_id == ev.event_id and delta.tenant_id == "t"
    assert ("scored", 1) in delta.fields and ("decision:auto_approve", 1) in delta.fields


def test_an_event_counts_in_the_minute_it_was_scored_with_every_table_s_counter() -> None:
    ev = scored("a", "t", decision=Decision.REVIEW).model_copy(update={
        "received_at": datetime(2026, 12, 3, 11, 59, 59, 750_000, tzinfo=UTC),
        "scored_at": datetime(2026, 12, 3, 12, 0, 0, 150_000, tzinfo=UTC),
        "reasons": (Reason(code="new_vendor", message="m"), Reason(code="new_vendor", message="m", field="x"),
                    Reason(code="low_confidence", message="m")),
        "cost": Cost(pages=2, usd=Decimal("0.02"), model="prebuilt-invoice"),
    })
    delta = aggregate(ev)
    assert delta.minute == int(datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp())
    assert dict(delta.fields) == {
        "scored": 1, "decision:review": 1, f"format:{ev.format.value}": 1, f"extractor:{ev.extractor}": 1,
        f"route:{ev.route.value if ev.route else 'unknown'}": 1, "lat:400": 1, "latency_ms_sum": 400,
        "reason:new_vendor": 1, "reason:low_confidence": 1, "paid_pages": 2, "cost_micro_usd": 20_000,
    }  # each reason code once, no touchless for a review
    assert ("touchless", 1) in aggregate(scored("b", "t")).fields


def test_a_clock_that_ran_backwards_counts_as_no_latency() -> None:
    ev = scored("a", "t")
    ev = ev.model_copy(update={"received_at": ev.scored_at + timedelta(seconds=1)})
    assert ("latency_ms_sum", 0) in aggregate(ev).fields and ("lat:10", 1) in aggregate(ev).fields


def test_only_approvals_teach_a_vendor_and_each_fact_names_its_event() -> None:
    ok, held = scored("a", "t"), scored("b", "t", decision=Decision.REVIEW)
    facts = vendors_learned([ok, held])
    assert [(f.seller_key, f.event_id, f.name, f.vat_id, f.iban) for f in facts] == [
        ("vat:DE136695976", ok.event_id, "Lieferant GmbH", "DE136695976", "DE89370400440532013000")]


async def test_fake_store_learns_a_vendor_only_from_an_event_that_became_the_row() -> None:
    store = FakeRecordStore()
    newer, older = scored("a", "t", version=2, decision=Decision.REVIEW), scored("a", "t", version=1)
    assert await store.write_scored([newer]) == 1
    assert await store.write_scored([older], vendors_learned([older])) == 0
    assert store.vendors == {}
    assert await store.write_scored([newer]) == 0


class _FakeResources(TestResources):
    def __init__(self) -> None:
        super().__init__()
        self.store, self.counters_, self.history_ = FakeRecordStore(), FakeCounterStore(), FakeHistoryIndex()

    async def records(self) -> FakeRecordStore:
        return self.store

    async def counters(self) -> FakeCounterStore:
        return self.counters_

    async def history(self) -> FakeHistoryIndex:
        return self.history_


_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _msg(value: bytes, offset: int) -> Inbound:
    headers = [("traceparent", f"00-{_TRACE}-00f067aa0ba902b7-01".encode())] if offset == 1 else []
    return Inbound(b"k", value, headers, "p.invoices.scored", 0, offset, 0, [])


async def test_the_shell_persists_counts_and_learns_once_and_routes_bad_messages() -> None:
    resources = _FakeResources()
    handle = aggregate_agent(stage_context(resources))
    ok, held = scored("a", "t"), scored("b", "t", decision=Decision.REVIEW)
    batch = [_msg(encode(ok), 1), _msg(b"not json", 2), _msg(encode(held), 3)]
    outcomes = await handle(batch)
    assert outcomes[0] == () and outcomes[2] == () and isinstance(outcomes[1], DecodeError)
    await handle(batch)  # redelivered: nothing counts twice
    assert (await resources.counters_.read("t"))["t"]["scored"] == 2
    assert set(resources.store.rows) == {(ok.tenant_id, ok.invoice_id), (held.tenant_id, held.invoice_id)}
    assert list(resources.history_.vendors) == [("t", "vat:DE136695976")]  # only the approval teaches
    assert resources.store.trace_ids == {("t", ok.event_id): _TRACE}  # the trace its message carried


class _DownResources(_FakeResources):
    async def records(self) -> FakeRecordStore:
        raise SinkError("postgres down")


async def test_the_time_from_receipt_to_score_is_counted_once_the_records_are_written() -> None:
    seen = Observations()
    ok = scored("a", "t")
    lag = (ok.scored_at - ok.received_at).total_seconds()
    down = aggregate_agent(stage_context(_DownResources(), seen))
    assert isinstance((await down([_msg(encode(ok), 1)]))[0], SinkError)
    assert seen.end_to_end.count == 0  # not written: not counted
    up = aggregate_agent(stage_context(_FakeResources(), seen))
    await up([_msg(encode(ok), 1), _msg(b"not json", 2)])
    assert seen.end_to_end.count == 1 and seen.end_to_end.total == lag
