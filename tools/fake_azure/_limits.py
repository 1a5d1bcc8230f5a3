"""Quota and fault injection for the fake service: sliding 1 s windows per key, scripted and random failures.

The real resource counts analyze and get-result calls separately per key and answers 429 with Retry-After
once a second's allowance is spent. The fake counts accepted calls in a sliding window (strictest reading:
no 1 s interval may hold more than the limit), so a client that passes here passes the real service too.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable, Mapping


class SlidingWindow:
    """At most `limit` accepted events in any window of `period` seconds."""

    __slots__ = ("_events", "limit", "period")

    def __init__(self, limit: int, period: float = 1.0) -> None:
        self.limit = limit
        self.period = period
        self._events: deque[float] = deque()

    def admit(self, now: float) -> float | None:
        """Record an event at `now` and return None, or return the seconds until one would be admitted."""
        while self._events and self._events[0] <= now - self.period:
            self._events.popleft()
        if len(self._events) >= self.limit:
            return self._events[0] + self.period - now
        self._events.append(now)
        return None


def retry_after_header(wait_s: float) -> str:
    """Whole seconds, at least 1, as the service sends them."""
    return str(max(1, math.ceil(wait_s)))


class FailurePlan:
    """Scripted statuses (consumed first, per request kind) and random failure rates."""

    __slots__ = ("_rates", "_rng", "_scripted", "_statuses")

    def __init__(
        self,
        rates: Mapping[str, float] | None = None,
        statuses: Iterable[int] = (500, 503, 429),
        seed: int = 0,
    ) -> None:
        self._rates = dict(rates or {})
        self._statuses = tuple(statuses)
        self._rng = random.Random(seed)
        self._scripted: dict[str, deque[int]] = {}

    def inject(self, kind: str, statuses: Iterable[int]) -> None:
        """The next requests of `kind` ('analyze' or 'get') answer these statuses, in order."""
        self._scripted.setdefault(kind, deque()).extend(statuses)

    def set_rate(self, kind: str, rate: float) -> None:
        self._rates[kind] = rate

    def next_failure(self, kind: str) -> int | None:
        queue = self._scripted.get(kind)
        if queue:
            return queue.popleft()
        rate = self._rates.get(kind, 0.0)
        if rate > 0 and self._rng.random() < rate:
            return self._rng.choice(self._statuses)
        return None
