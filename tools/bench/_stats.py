"""Small statistics over arrival times: percentiles, the steady window, per-second series.

Sustained throughput is measured over the steady window, between the arrivals of the 10th and the 90th
percentile invoice: the ramp-up (workers warming, first batches) and the drain (the last stragglers) are
left out, so the figure is what the pipeline clears once it runs, and a short run is not unfairly penalised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

STEADY_FROM, STEADY_TO = 0.10, 0.90


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q` percentile (0..1) of `values`; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True, slots=True)
class Steady:
    """The steady window of a run and the throughput inside it."""

    start: float
    end: float
    count: int

    @property
    def per_s(self) -> float:
        """Invoices per second inside the window."""
        span = self.end - self.start
        return self.count / span if span > 0 else math.nan


def steady_window(arrivals: Sequence[float]) -> Steady:
    """The window between the 10th and 90th percentile arrival (the whole run when it is tiny)."""
    ordered = sorted(arrivals)
    n = len(ordered)
    if n < 2:
        return Steady(ordered[0] if ordered else 0.0, ordered[0] if ordered else 0.0, n)
    lo, hi = int(n * STEADY_FROM), max(int(n * STEADY_TO) - 1, int(n * STEADY_FROM) + 1)
    hi = min(hi, n - 1)
    return Steady(ordered[lo], ordered[hi], hi - lo)


def per_second(times: Sequence[float], origin: float) -> list[int]:
    """Counts of `times` per whole second since `origin`."""
    if not times:
        return []
    buckets = [0] * (int(max(times) - origin) + 1)
    for t in times:
        buckets[max(0, int(t - origin))] += 1
    return buckets


def latency_series(points: Sequence[tuple[float, float]], origin: float) -> list[tuple[float, float, float]]:
    """(second since origin, p50, p99) of the latencies that arrived in each second with any."""
    by_second: dict[int, list[float]] = {}
    for t, latency in points:
        by_second.setdefault(max(0, int(t - origin)), []).append(latency)
    return [(float(s), percentile(v, 0.5), percentile(v, 0.99)) for s, v in sorted(by_second.items())]


def sustained(sent_at: Sequence[float], times: Sequence[float], rate: float | None, window: int) -> tuple[float, str]:
    """Sustained invoices per second and how they were measured.

    Closed loop (as fast as possible through a window of W in flight): from the moment the window first
    filled (invoice W could leave only after an arrival) to the last send, the pipeline ran at its own pace
    with W in flight, so the arrivals in that span over its length is its sustained rate. Fixed rate: the
    arrivals between the 10th and 90th percentile. Otherwise (no window, or too few invoices to fill it
    twice), the whole run, first send to last arrival: a drain rate, never flattering.
    """
    if rate is None and window > 0 and len(sent_at) >= 2 * window:
        start, end = sent_at[window], sent_at[-1]
        inside = sum(1 for t in times if start <= t <= end)
        if end > start and inside:
            return inside / (end - start), f"closed loop, {window:,} in flight"
    if rate is not None and len(times) >= 100:
        return steady_window(times).per_s, "arrivals 10th-90th percentile"
    first = min((t for t in sent_at if not math.isnan(t)), default=math.nan)
    last = max(times, default=math.nan)
    return (len(times) / (last - first) if last > first else math.nan), "whole run (first send to last arrival)"
