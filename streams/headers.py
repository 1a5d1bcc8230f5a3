"""The pipeline's own Kafka headers, read as the untrusted input they are.

A retried record carries its attempt count and the wall-clock time before which it must not be handled
again. Anyone who can write to a topic can write these headers too, so they are parsed defensively: an
attempt that is not a small non-negative integer, or a not-before time that is not a finite number within
the retry horizon (the longest a genuine retry can wait, plus room for clock skew between hosts), makes the
record unreadable: the stage dead-letters it (`HeaderError`, code `bad_header`) instead of crashing on every
restart or holding its partition until the year 10^22.

`not_before` never raises: the worker asks it while deciding whether a record is due, and an unreadable
value there counts as "due now", so the record reaches the stage runner, which dead-letters it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from streams.errors import HeaderError

ATTEMPT_HEADER = "x-invoiceflow-attempt"
NOT_BEFORE_HEADER = "x-invoiceflow-not-before"
ERROR_HEADER = "x-invoiceflow-error"
FIRST_FAILURE_HEADER = "x-invoiceflow-first-failure"

MAX_ATTEMPT = 1000
"""No genuine record was retried this often (there are a few retry tiers): anything above is forged."""
CLOCK_SKEW_S = 300.0
"""How far another host's clock may run ahead of ours before its not-before times look forged."""
_MAX_HEADER_BYTES = 32  # "1234567890.123" fits many times over

Headers = Iterable[tuple[str, bytes | None]]


@dataclass(frozen=True, slots=True)
class RetryState:
    """What a record's retry headers say: how many times it was tried, and not before when (0: no wait)."""

    attempt: int = 0
    not_before: float = 0.0


def header(headers: Headers, name: str) -> bytes | None:
    """The first value of header `name` (None when absent or null)."""
    for key, value in headers:
        if key == name:
            return value
    return None


def _has(headers: Headers, name: str) -> bool:
    return any(key == name for key, _ in headers)


def _number(raw: bytes | None, name: str) -> str:
    if raw is None or len(raw) > _MAX_HEADER_BYTES:
        raise HeaderError(f"header {name} is null or too long")
    try:
        return raw.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise HeaderError(f"header {name} is not ASCII") from exc


def _attempt(headers: Headers) -> int:
    if not _has(headers, ATTEMPT_HEADER):
        return 0
    text = _number(header(headers, ATTEMPT_HEADER), ATTEMPT_HEADER)
    if not text.isdigit() or int(text) > MAX_ATTEMPT:
        raise HeaderError(f"header {ATTEMPT_HEADER} is not an attempt count from 0 to {MAX_ATTEMPT}")
    return int(text)


def _not_before(headers: Headers, latest: float) -> float:
    if not _has(headers, NOT_BEFORE_HEADER):
        return 0.0
    text = _number(header(headers, NOT_BEFORE_HEADER), NOT_BEFORE_HEADER)
    try:
        value = float(text)
    except ValueError as exc:
        raise HeaderError(f"header {NOT_BEFORE_HEADER} is not a number") from exc
    if not math.isfinite(value) or value < 0 or value > latest:
        raise HeaderError(f"header {NOT_BEFORE_HEADER} is outside the retry horizon")
    return value


def latest_not_before(now: float, retry_delays_s: Sequence[float]) -> float:
    """The latest not-before time a genuine retry can carry: it waits one of the retry tiers, and another
    host's clock may run ahead by `CLOCK_SKEW_S`."""
    return now + max(retry_delays_s, default=0.0) + CLOCK_SKEW_S


def retry_state(headers: Headers, latest: float) -> RetryState:
    """Parse a record's retry headers.

    Args:
        headers: The record's headers (untrusted).
        latest: The latest not-before time a genuine retry can carry (now + horizon + clock skew).

    Raises:
        HeaderError: a header is present but unreadable or out of bounds.
    """
    return RetryState(_attempt(headers), _not_before(headers, latest))


def not_before(headers: Headers, latest: float) -> float:
    """The time before which a record must wait (0: none, and 0 for any unreadable value: see the module)."""
    try:
        return _not_before(headers, latest)
    except HeaderError:
        return 0.0
