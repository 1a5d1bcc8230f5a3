"""The service's metrics cache: answers reused while the series version holds, buckets reused by version."""

from __future__ import annotations

import orjson

from schemas import MetricsResponse
from streams.counters import Retention
from streams.service._metrics_cache import MetricsCache
from streams.sinks.metric_tables import SeriesRead

T0 = 1_796_313_600  # a UTC midnight
QUERY = ("acme", "minute", T0, T0 + 180)


def _read(version: int, *buckets: tuple[int, int, dict[str, int] | None]) -> SeriesRead:
    return SeriesRead(version, list(buckets))


def test_a_first_answer_is_made_from_the_buckets_and_fits_the_contract() -> None:
    cache = MetricsCache(Retention())
    assert cache.holds(QUERY, T0) == (None, {})
    body = cache.answer(QUERY, _read(5, (T0, 1, {"scored": 2}), (T0 + 60, 3, {"scored": 1, "touchless": 1})))
    assert body is not None
    answer = MetricsResponse.model_validate(orjson.loads(body))
    assert [b.scored for b in answer.series] == [2, 1] and answer.totals.scored == 3 and answer.tenant == "acme"
    assert cache.holds(QUERY, T0) == (5, {T0: 1, T0 + 60: 3})


def test_an_unchanged_series_returns_the_same_answer_and_a_changed_one_reuses_held_buckets() -> None:
    cache = MetricsCache(Retention())
    first = cache.answer(QUERY, _read(5, (T0, 1, {"scored": 2}), (T0 + 60, 3, {"scored": 1})))
    assert cache.answer(QUERY, SeriesRead(5, None)) is first
    later = cache.answer(QUERY, _read(6, (T0, 1, None), (T0 + 60, 4, {"scored": 4}), (T0 + 120, 1, {"scored": 1})))
    assert later is not None
    assert MetricsResponse.model_validate(orjson.loads(later)).totals.scored == 7


def test_an_answer_relying_on_what_is_not_held_is_refused() -> None:
    cache = MetricsCache(Retention())
    assert cache.answer(QUERY, SeriesRead(5, None)) is None  # "unchanged", but nothing held
    assert cache.answer(QUERY, _read(5, (T0, 1, None))) is None  # a bucket "held" that is not
    cache.answer(QUERY, _read(5, (T0, 1, {"scored": 2})))
    assert cache.answer(QUERY, _read(6, (T0, 2, None))) is None  # held, but in another version


def test_an_answer_is_dropped_once_its_oldest_bucket_outlived_retention() -> None:
    cache = MetricsCache(Retention(minute_s=600))
    cache.answer(QUERY, _read(5, (T0, 1, {"scored": 2})))
    assert cache.holds(QUERY, T0 + 599)[0] == 5
    assert cache.holds(QUERY, T0 + 600)[0] is None  # Redis expired the bucket without a new version


def test_memory_is_bounded() -> None:
    cache = MetricsCache(Retention(), max_buckets=3, max_answer_bytes=1)
    for n in range(4):
        query = (f"t{n}", "minute", T0, T0 + 180)
        cache.answer(query, _read(1, (T0, 1, {"scored": 1}), (T0 + 60, 1, {"scored": 1})))
    assert cache.holds(("t3", "minute", T0, T0 + 180), T0) == (1, {T0: 1, T0 + 60: 1})  # the latest kept
    assert cache.holds(("t0", "minute", T0, T0 + 180), T0) == (None, {})  # the oldest dropped
    big = MetricsCache(Retention(), max_buckets=2)
    big.answer(QUERY, _read(1, *[(T0 + 60 * i, 1, {"scored": 1}) for i in range(3)]))
    assert len(big.holds(QUERY, T0)[1]) == 3  # one answer's buckets stay while it is the only series


def test_an_answer_confirmed_within_max_age_is_sent_again_without_asking_redis() -> None:
    cache = MetricsCache(Retention(), max_age_s=0.25)
    assert cache.recent(QUERY, T0, clock=100.0) is None  # nothing held: ask
    body = cache.answer(QUERY, _read(5, (T0, 1, {"scored": 2})), clock=100.0)
    assert cache.recent(QUERY, T0, clock=100.2) is body
    assert cache.recent(QUERY, T0, clock=100.25) is None  # too old: ask again
    assert cache.answer(QUERY, SeriesRead(5, None), clock=100.3) is body  # Redis confirmed it unchanged
    assert cache.recent(QUERY, T0, clock=100.5) is body
    assert cache.recent(QUERY, T0 + 10**9, clock=100.5) is None  # past retention: never from memory
    assert MetricsCache(Retention(), max_age_s=0).recent(QUERY, T0, clock=100.0) is None
    assert cache.recent(("other", "minute", T0, T0 + 180), T0, clock=100.2) is None
