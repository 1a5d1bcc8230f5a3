"""The arithmetic of a quota shared by several workers: whose it is, how its window is cut, what one worker
may take alone.

Kept apart from the Redis I/O (shared_quota.py) so each rule is tested without a server:

* identity: the service counts per key, so a quota is named by a hash of the endpoint URL and its key; two
  configurations of one resource share, different resources (or test fakes) never do, and the key itself
  never reaches Redis;
* the window: `floor(rate)` calls per window of 1 s plus a guard. Calls are stamped when Redis admits them,
  a moment before they reach the service, so the guard covers that gap; the window is also stretched to
  `limit / (rate x headroom)` so the long-run rate never passes rate x headroom;
* spacing: admissions are spread at least `window / limit` apart across all workers (a GCRA-style next-time,
  with a little tolerance for late wake-ups), so K workers do not burst the whole window at once;
* the fallback: with Redis unreachable, each worker keeps to its 1/N share of the window, alone.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from dataclasses import dataclass

WINDOW_GUARD_S = 0.05
SPACING_TOLERANCE = 0.1  # of one interval: a wake-up that late still gets its place


@dataclass(frozen=True, slots=True)
class QuotaShape:
    """At most `limit` admissions per `window_s`, spaced about `interval_s` apart."""

    limit: int
    window_s: float

    @property
    def interval_s(self) -> float:
        return self.window_s / self.limit

    @property
    def tolerance_s(self) -> float:
        return self.interval_s * SPACING_TOLERANCE


def quota_id(url: str, key: str) -> str:
    """A stable, non-secret name for one resource's quota (the service counts per key)."""
    material = f"{url.strip().rstrip('/').lower()}\n{key}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def quota_keys(prefix: str, qid: str, kind: str) -> tuple[str, str, str]:
    """The window log, pause and next-time keys of one quota; one hash tag, so a cluster keeps them together."""
    tag = f"{prefix}{{{qid}:{kind}}}"
    return f"{tag}:log", f"{tag}:pause", f"{tag}:next"


def shared_shape(rate: float, headroom: float, guard_s: float = WINDOW_GUARD_S) -> QuotaShape:
    """The window every worker's admissions are counted in, together."""
    if rate <= 0 or not 0 < headroom <= 1:
        raise ValueError("rate must be > 0 and headroom in (0, 1]")
    limit = max(1, math.floor(rate))
    return QuotaShape(limit, max(limit / (rate * headroom), max(1.0, limit / rate) + guard_s))


def fallback_shape(shape: QuotaShape, workers: int) -> QuotaShape:
    """One worker's share when it cannot see the others: 1/`workers` of the calls, or a longer window.

    Strict when `limit >= workers`; with more workers than calls per window each still sends at most one
    call per window, and the service's Retry-After covers the rest.
    """
    if workers < 1:
        raise ValueError("workers must be >= 1")
    share = shape.limit / workers
    if share >= 1:
        return QuotaShape(math.floor(share), shape.window_s)
    return QuotaShape(1, shape.window_s / share)


class WindowLog:
    """A local sliding log: at most `shape.limit` admissions in any `shape.window_s` (the Redis script's twin)."""

    __slots__ = ("_shape", "_times")

    def __init__(self, shape: QuotaShape) -> None:
        self._shape = shape
        self._times: deque[float] = deque()

    def try_admit(self, now: float) -> float:
        """0 and the admission recorded, or the seconds until one place frees."""
        window = self._shape.window_s
        while self._times and self._times[0] <= now - window:
            self._times.popleft()
        if len(self._times) >= self._shape.limit:
            return self._times[0] + window - now
        self._times.append(now)
        return 0.0
