"""The metrics tables on the real Redis: per tenant and window, counted once, read back in one round trip."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from agents.aggregate import aggregate
from schemas import Decision, InvoiceScored
from streams.counters import WINDOWS
from streams.sinks import DeadLetterFact
from streams.sinks.redis import RedisStores
from tests.records_helpers import scored

pytestmark = pytest.mark.integration

MINUTE, HOUR, DAY = (WINDOWS[w] for w in ("minute", "hour", "day"))


def _hour_start() -> int:
    """The start of an hour recent enough for every window's retention, far enough back to be whole."""
    return HOUR.start(int(time.time())) - 2 * 3600


def _at(invoice: str, tenant: str, scored_at: int, latency_ms: int = 200,
        decision: Decision = Decision.AUTO_APPROVE) -> InvoiceScored:
    at = datetime.fromtimestamp(scored_at, UTC)
    return scored(invoice, tenant, decision=decision).model_copy(
        update={"scored_at": at, "received_at": at - timedelta(milliseconds=latency_ms)})


async def test_each_event_counts_once_in_its_minute_hour_and_day_for_its_tenant_and_for_all(
    stores: RedisStores,
) -> None:
    h = _hour_start()
    events = [_at(f"a{n}", "a", h + 600 + n) for n in range(3)] + [_at("a3", "a", h + 660, 3000, Decision.REVIEW)]
    events += [_at(f"b{n}", "b", h + 610) for n in range(2)]
    assert await stores.apply([aggregate(ev) for ev in events[:3]]) == 3
    assert await stores.apply([aggregate(ev) for ev in events]) == 3  # the first three were counted
    assert await stores.apply([aggregate(ev) for ev in reversed(events)]) == 0  # redelivered: nothing

    minutes = await stores.read_window("a", "minute", h, h + 3600)
    assert [(b, c["scored"]) for b, c in minutes.series] == [(h + 600, 3), (h + 660, 1)]
    assert minutes.totals["scored"] == 4 and minutes.totals["touchless"] == 3
    assert minutes.totals["decision:review"] == 1 and minutes.totals["lat:200"] == 3
    assert minutes.totals["lat:3000"] == 1 and minutes.totals["latency_ms_sum"] == 3 * 200 + 3000
    hours = await stores.read_window("a", "hour", h, h + 3600)
    assert [(b, c["scored"]) for b, c in hours.series] == [(h, 4)]
    days = await stores.read_window("a", "day", DAY.start(h), DAY.start(h) + 86400)
    assert days.totals["scored"] == 4
    everyone = await stores.read_window(None, "minute", h, h + 3600)
    assert [(b, c["scored"]) for b, c in everyone.series] == [(h + 600, 5), (h + 660, 1)]
    assert (await stores.read("b"))["b"]["scored"] == 2 and await stores.tenants() == ["a", "b"]
    assert "_version" not in minutes.totals  # bookkeeping stays out of the counters


async def test_the_range_is_half_open_and_each_table_expires_with_its_window_s_retention(stores: RedisStores) -> None:
    h = _hour_start()
    await stores.apply([aggregate(_at("a", "t", h + 60)), aggregate(_at("b", "t", h + 120))])
    assert [b for b, _ in (await stores.read_window("t", "minute", h + 60, h + 120)).series] == [h + 60]
    assert (await stores.read_window("t", "minute", h + 61, h + 3600)).series[0][0] == h + 120
    now = time.time()
    for window, bucket in ((MINUTE, h + 60), (HOUR, h), (DAY, DAY.start(h))):
        ttl = await stores.client.ttl(f"{stores.prefix}mt:t:{window.code}:{bucket}")
        assert abs(bucket + stores.retention.seconds(window) - now - ttl) <= 2, window.name
        index_ttl = await stores.client.ttl(f"{stores.prefix}mtx:t:{window.code}")
        assert index_ttl >= ttl - 2


async def test_a_bucket_past_its_retention_is_not_written_but_the_longer_windows_count_it(
    stores: RedisStores,
) -> None:
    old = _hour_start() - 3 * 86400  # past the minute tables' 2 days, inside the hour and day tables'
    assert await stores.apply([aggregate(_at("a", "t", old + 5))]) == 1
    assert (await stores.read_window("t", "minute", old, old + 3600)).series == ()
    assert not await stores.client.exists(f"{stores.prefix}mt:t:m:{old}")
    assert (await stores.read_window("t", "hour", old, old + 3600)).totals["scored"] == 1
    assert (await stores.read("t"))["t"]["scored"] == 1


def _letter(offset: int, tenant: str | None, at: int, stage: str = "detect",
            reason: str = "document_missing") -> DeadLetterFact:
    return DeadLetterFact(stage, reason, "p.invoices.received", 3, offset, datetime.fromtimestamp(at, UTC), tenant,
                          "INV-1" if tenant else None)


async def test_dead_letters_count_once_per_origin_by_stage_and_reason(stores: RedisStores) -> None:
    h = _hour_start()
    letters = [_letter(1, "t", h + 5), _letter(2, "t", h + 65, "score", "schema_error"), _letter(3, None, h + 5)]
    assert await stores.count_dead_letters(letters + letters[:1]) == 3
    assert await stores.count_dead_letters(letters) == 0  # dead-lettered again after a crash: counted once
    got = await stores.read_window("t", "minute", h, h + 3600)
    assert [(b, c["dead_letters"]) for b, c in got.series] == [(h, 1), (h + 60, 1)]
    assert got.totals["dlq:detect:document_missing"] == 1 and got.totals["dlq:score:schema_error"] == 1
    unknown = await stores.read_window("_unknown", "hour", h, h + 3600)
    assert unknown.totals == {"dead_letters": 1, "dlq:detect:document_missing": 1}
    assert (await stores.read_window(None, "day", DAY.start(h), DAY.start(h) + 86400)).totals["dead_letters"] == 3


async def test_the_reader_sends_only_what_changed_since_what_the_caller_holds(stores: RedisStores) -> None:
    h = _hour_start()
    await stores.apply([aggregate(_at("a", "t", h + 5)), aggregate(_at("b", "t", h + 65))])
    first = await stores.read_buckets("t", "minute", h, h + 3600)
    assert first.buckets is not None and all(c is not None for _, _, c in first.buckets)
    known = {b: v for b, v, _ in first.buckets}
    assert (await stores.read_buckets("t", "minute", h, h + 3600, known, first.version)).buckets is None
    await stores.apply([aggregate(_at("c", "t", h + 70))])
    again = await stores.read_buckets("t", "minute", h, h + 3600, known, first.version)
    assert again.version > first.version and again.buckets is not None
    assert [(b, c) for b, _, c in again.buckets] == [(h, None), (h + 60, again.buckets[1][2])]
    assert again.buckets[1][2] is not None and again.buckets[1][2]["scored"] == 2
    await stores.apply([aggregate(_at("c", "t", h + 70))])  # a redelivery writes nothing: no new version
    assert (await stores.read_buckets("t", "minute", h, h + 3600, None, again.version)).buckets is None


async def test_a_table_lost_and_counted_again_never_repeats_a_version(stores: RedisStores) -> None:
    h = _hour_start()
    await stores.apply([aggregate(_at("a", "t", h + 5))])
    before = await stores.read_buckets("t", "minute", h, h + 60)
    async for key in stores.client.scan_iter(match=f"{stores.prefix}*"):
        await stores.client.unlink(key)  # Redis lost everything
    await stores.apply([aggregate(_at("a", "t", h + 5))])
    after = await stores.read_buckets("t", "minute", h, h + 60, {h: before.buckets[0][1]} if before.buckets else {},
                                      before.version)
    assert after.version != before.version and after.buckets is not None and after.buckets[0][2] == {
        k: v for k, v in (await stores.read_window("t", "minute", h, h + 60)).totals.items()}
