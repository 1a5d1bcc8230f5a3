"""Retry headers are untrusted input: read defensively, bounded, and never a crash."""

from __future__ import annotations

import time

import pytest

from streams.errors import HeaderError
from streams.headers import ATTEMPT_HEADER, NOT_BEFORE_HEADER, RetryState, latest_not_before, not_before, retry_state


def latest() -> float:
    return latest_not_before(time.time(), (10.0, 60.0, 600.0))


def test_absent_headers_mean_a_first_try_with_no_wait() -> None:
    assert retry_state([("traceparent", b"x")], latest()) == RetryState(0, 0.0)


def test_genuine_retry_headers_are_read() -> None:
    due = time.time() + 8
    state = retry_state([(ATTEMPT_HEADER, b"3"), (NOT_BEFORE_HEADER, f"{due:.3f}".encode())], latest())
    assert state.attempt == 3 and state.not_before == pytest.approx(due, abs=0.001)


@pytest.mark.parametrize("value", [b"abc", b"-1", b"1.5", b"", b"1001", b"\xff", b"9" * 40, None])
def test_an_attempt_that_is_not_a_small_count_is_refused(value: bytes | None) -> None:
    with pytest.raises(HeaderError) as caught:
        retry_state([(ATTEMPT_HEADER, value)], latest())  # type: ignore[list-item]
    assert caught.value.code == "bad_header"


@pytest.mark.parametrize("value", [b"1e30", b"nan", b"inf", b"-5", b"soon", f"{time.time() + 10**6:.3f}".encode()])
def test_a_not_before_outside_the_retry_horizon_is_refused(value: bytes) -> None:
    with pytest.raises(HeaderError):
        retry_state([(NOT_BEFORE_HEADER, value)], latest())
    assert not_before([(NOT_BEFORE_HEADER, value)], latest()) == 0.0  # the worker treats it as due: it reaches the DLQ


def test_the_horizon_covers_the_longest_genuine_wait_and_some_clock_skew() -> None:
    now = time.time()
    assert latest_not_before(now, (10.0, 60.0, 600.0)) > now + 600 + 60  # the last tier, and skew
