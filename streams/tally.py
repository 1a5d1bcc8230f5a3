"""Plain tallies the hot path bumps, read only when Prometheus scrapes the worker (`streams/metrics.py`).

A worker handles ~1,000 invoices a second on two cores, so what it counts per record or per batch must cost
next to nothing: an integer added to, a bucket found by bisection. prometheus-client's own metric objects
take a lock and walk their buckets on every observation; these take neither, and the worker's collector turns
them into metric families at scrape time. Everything runs on the worker's event loop thread: no locks.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

BATCH_SECONDS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                                    30.0)
"""Upper bounds of the time one stage takes for one batch (its handler, routing and tracing)."""

LATENCY_SECONDS: tuple[float, ...] = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
                                      3600.0)
"""Upper bounds of an invoice's time from receipt to score (retry tiers wait 10 s, 1 min, 10 min)."""


class Buckets:
    """A histogram as plain numbers: counts per upper bound (the last is +Inf), their sum, and how many."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: Sequence[float]) -> None:
        if list(bounds) != sorted(set(bounds)):
            raise ValueError("bucket bounds must be distinct and increasing")
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        """Count one value in the first bucket whose bound is at least `value`."""
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    @property
    def count(self) -> int:
        """How many values were observed."""
        return sum(self.counts)

    def cumulative(self) -> list[tuple[str, int]]:
        """Prometheus' view: (upper bound, values at or under it), ending with +Inf."""
        out, running = [], 0
        for bound, n in zip((*(repr(b) for b in self.bounds), "+Inf"), self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out


@dataclass(slots=True)
class Observations:
    """What the stage shells observe for the worker's metrics besides the runners' counts: each recorded
    invoice's time from receipt to score (aggregate), and what the paid extractor read and cost (extract)."""

    end_to_end: Buckets = field(default_factory=lambda: Buckets(LATENCY_SECONDS))
    paid_documents: Counter[str] = field(default_factory=Counter)
    """Paid readings by how they were obtained: `submit` (paid now), `resume`, `reuse` (nothing paid again)."""
    paid_pages: int = 0
    paid_usd: float = 0.0
