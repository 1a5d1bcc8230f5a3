"""The metrics tables' vocabulary: windows, histogram buckets, percentiles, figures and ranges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas import MetricsFigures, MetricsResponse
from streams.counters import (
    LATENCY_BOUNDS_MS,
    WINDOWS,
    Retention,
    bucket_range,
    by_field,
    dead_letter_field,
    epoch_s,
    figures,
    latency_field,
    metrics_document,
    parse_time,
    quantile,
)

NOON = int(datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp())


def test_a_bucket_starts_at_the_utc_start_of_its_window() -> None:
    at = NOON + 3 * 3600 + 25 * 60 + 17  # 15:25:17
    assert WINDOWS["minute"].start(at) == NOON + 3 * 3600 + 25 * 60
    assert WINDOWS["hour"].start(at) == NOON + 3 * 3600
    assert WINDOWS["day"].start(at) == NOON - 12 * 3600
    assert epoch_s(datetime(2026, 12, 3, 12, 0)) == NOON  # naive times are UTC, like the events'


def test_latency_falls_in_the_first_bucket_whose_bound_it_does_not_exceed() -> None:
    assert latency_field(0) == "lat:10" and latency_field(10) == "lat:10" and latency_field(10.5) == "lat:25"
    assert latency_field(LATENCY_BOUNDS_MS[-1]) == f"lat:{LATENCY_BOUNDS_MS[-1]}"
    assert latency_field(LATENCY_BOUNDS_MS[-1] + 1) == "lat:+Inf"


def _counts(**by_bound: int) -> list[int]:
    labels = [str(b) for b in LATENCY_BOUNDS_MS] + ["+Inf"]
    return [by_bound.get(f"b{label}" if label != "+Inf" else "inf", 0) for label in labels]


def test_quantiles_interpolate_inside_the_bucket_that_holds_them() -> None:
    counts = _counts(b100=50, b150=50)  # 50 in (75, 100], 50 in (100, 150]
    assert quantile(counts, 0.5) == 100.0
    assert quantile(counts, 0.25) == 87.5
    assert quantile(counts, 0.99) == pytest.approx(149.0)
    assert quantile(_counts(), 0.5) is None
    assert quantile(_counts(inf=3), 0.99) == float(LATENCY_BOUNDS_MS[-1])  # the open bucket: its lower bound


def test_figures_group_the_counters_and_derive_rates_and_percentiles() -> None:
    counters = {
        "scored": 4, "touchless": 3, by_field("decision", "auto_approve"): 3, by_field("decision", "review"): 1,
        by_field("route", "structured"): 4, by_field("format", "ubl"): 4, by_field("extractor", "azure:m"): 1,
        by_field("reason", "new_vendor"): 1, "paid_pages": 2, "cost_micro_usd": 20_000, "lat:100": 4,
        "latency_ms_sum": 300, "dead_letters": 2, dead_letter_field("detect", "document_missing"): 2,
        "something_new": 7,
    }
    got = figures(counters)
    assert got["touchless_rate"] == 0.75
    assert got["decisions"] == {"auto_approve": 3, "review": 1} and got["extractors"] == {"azure:m": 1}
    assert got["latency"]["count"] == 4 and got["latency"]["mean_ms"] == 75.0 and got["latency"]["p50_ms"] == 87.5
    assert got["latency"]["histogram"] == {"100": 4}
    assert got["dead_letters"] == {"total": 2, "by_stage": {"detect": {"document_missing": 2}}}
    MetricsFigures.model_validate(got)  # the contract holds
    empty = figures({})
    assert empty["touchless_rate"] is None and empty["latency"]["p99_ms"] is None
    MetricsFigures.model_validate(empty)


def test_the_default_range_is_the_last_60_buckets_with_the_current_one() -> None:
    now = NOON + 90
    assert bucket_range("minute", None, None, now, 1500) == (NOON + 120 - 3600, NOON + 120)
    assert bucket_range("hour", None, None, now, 1500) == (NOON + 3600 - 24 * 3600, NOON + 3600)
    assert bucket_range("minute", NOON + 0.5, NOON + 120, now, 1500) == (NOON + 1, NOON + 120)


@pytest.mark.parametrize(("start", "end", "message"), [
    (NOON, NOON, "before"), (NOON + 60, NOON, "before"), (NOON - 1501 * 60, NOON, "at most 1500")])
def test_an_empty_or_too_long_range_is_refused(start: int, end: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bucket_range("minute", start, end, NOON, 1500)


def test_times_are_epoch_seconds_or_iso_8601() -> None:
    assert parse_time(str(NOON), "from") == NOON
    assert parse_time("2026-12-03T12:00:00Z", "from") == NOON
    assert parse_time("2026-12-03T13:00:00+01:00", "from") == NOON
    assert parse_time("2026-12-03T12:00:00", "from") == NOON
    with pytest.raises(ValueError, match="from: epoch seconds or ISO 8601"):
        parse_time("yesterday", "from")


def test_the_metrics_document_fits_the_response_contract() -> None:
    doc = metrics_document("t", "minute", NOON, NOON + 120, [(NOON, {"scored": 1}), (NOON + 60, {"scored": 2})],
                           {"scored": 3})
    answer = MetricsResponse.model_validate(doc)
    assert [b.start for b in answer.series] == [datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
                                                datetime(2026, 12, 3, 12, 1, tzinfo=UTC)]
    assert answer.totals.scored == 3 and answer.from_ == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_retention_is_per_window() -> None:
    retention = Retention(minute_s=1, hour_s=2, day_s=3)
    assert [retention.seconds(w) for w in WINDOWS.values()] == [1, 2, 3]
