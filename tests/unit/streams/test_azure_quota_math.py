"""The shared quota's arithmetic: whose quota it is, how its window is cut, and one worker's share alone."""

from __future__ import annotations

import pytest

from streams.azure._quota_math import (
    WINDOW_GUARD_S,
    QuotaShape,
    WindowLog,
    fallback_shape,
    quota_id,
    quota_keys,
    shared_shape,
)


def test_quota_id_names_the_resource_and_key_without_revealing_the_key() -> None:
    key = "0123456789abcdef0123456789abcdef"
    qid = quota_id("https://res.cognitiveservices.azure.com/", key)
    assert qid == quota_id("HTTPS://res.cognitiveservices.azure.com", key)  # one resource, however spelled
    assert qid != quota_id("https://other.cognitiveservices.azure.com", key)
    assert qid != quota_id("https://res.cognitiveservices.azure.com", key[::-1])
    assert key not in qid and len(qid) == 32


def test_quota_keys_share_one_hash_tag() -> None:
    log, pause, nxt = quota_keys("p:", "abc", "get")
    assert (log, pause, nxt) == ("p:{abc:get}:log", "p:{abc:get}:pause", "p:{abc:get}:next")


def test_shared_window_is_a_second_plus_a_guard_or_stretched_to_the_headroom() -> None:
    assert shared_shape(15, 0.97) == QuotaShape(15, 1 + WINDOW_GUARD_S)
    assert shared_shape(5, 0.9).window_s == pytest.approx(1 / 0.9)  # the headroom is the stricter
    fractional = shared_shape(15.9, 1.0)
    assert fractional.limit == 15 and fractional.window_s >= 1.0  # never 16 in a second
    slow = shared_shape(0.5, 1.0)
    assert slow.limit == 1 and slow.window_s == pytest.approx(2 + WINDOW_GUARD_S)
    shape = shared_shape(5, 0.97)
    assert shape.interval_s == pytest.approx(shape.window_s / 5) and shape.tolerance_s < shape.interval_s
    with pytest.raises(ValueError):
        shared_shape(0, 0.97)
    with pytest.raises(ValueError):
        shared_shape(5, 1.2)


def test_fallback_takes_one_worker_share() -> None:
    shape = QuotaShape(15, 1.05)
    assert fallback_shape(shape, 1) == shape
    assert fallback_shape(shape, 2) == QuotaShape(7, 1.05)  # 14 together, not 15.x
    few = fallback_shape(QuotaShape(5, 1.05), 8)  # fewer calls than workers: one call per longer window
    assert few.limit == 1 and few.window_s == pytest.approx(1.05 * 8 / 5)
    with pytest.raises(ValueError):
        fallback_shape(shape, 0)


def test_window_log_admits_the_limit_then_says_when_a_place_frees() -> None:
    log = WindowLog(QuotaShape(2, 1.0))
    assert log.try_admit(10.0) == 0.0
    assert log.try_admit(10.4) == 0.0
    assert log.try_admit(10.5) == pytest.approx(0.5)  # refused, not recorded
    assert log.try_admit(11.0) == 0.0  # the first left the window exactly now
    assert log.try_admit(11.1) == pytest.approx(0.3)
