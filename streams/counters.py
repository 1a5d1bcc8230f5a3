"""The metrics tables' vocabulary: windows, counter names, the latency histogram, and what is read back from them.

The aggregate stage turns each scored invoice (and each dead letter) into named integer increments; Redis adds
them, per tenant, to one hash per window bucket (`streams.sinks.redis`); the API reads buckets back and derives
the figures a person wants (touchless rate, latency percentiles). Everything here is pure, so the writer, the
reader and the tests agree on one set of names.

Counters are plain integers so Redis can add them atomically: cost in micro-dollars, latency as a histogram
with fixed bucket bounds (a bucket holds the invoices whose latency is at most its bound and above the one
before) plus the sum of latencies, so percentiles come back as estimates within one bucket's width, the way
Prometheus' `histogram_quantile` reads them. The bounds are never changed in place: a new set of bounds needs
new counter names, or old and new counts would be summed as if they meant the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from config.settings import Settings

WindowName = Literal["minute", "hour", "day"]

UNKNOWN_TENANT = "_unknown"
"""The tenant a dead letter counts under when its record revealed none (not JSON, no tenant field)."""

SCORED = "scored"
TOUCHLESS = "touchless"
PAID_PAGES = "paid_pages"
COST_MICRO_USD = "cost_micro_usd"
LATENCY_SUM_MS = "latency_ms_sum"
DEAD_LETTERS = "dead_letters"

# counters that name something: "<kind>:<name>"
_BY = {"decision": "decisions", "route": "routes", "format": "formats", "extractor": "extractors",
       "reason": "reasons"}
_LATENCY = "lat"
_DEAD_LETTER = "dlq"

LATENCY_BOUNDS_MS: tuple[int, ...] = (
    10, 25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000, 30_000,
    60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000,
)
"""Upper bounds (ms) of the end-to-end latency buckets; one more bucket holds everything slower. Finest where
the pipeline usually is (50 ms to 1 s, a percentile is read within 25 to 250 ms there), then up to the retry
tiers (10 s, 1 min, 10 min) and an hour."""
_LATENCY_LABELS = (*(str(b) for b in LATENCY_BOUNDS_MS), "+Inf")
_LATENCY_FIELDS = tuple(f"{_LATENCY}:{label}" for label in _LATENCY_LABELS)


@dataclass(frozen=True, slots=True)
class Window:
    """A window of the metrics tables: its name, the one-letter code in its keys, and its length."""

    name: WindowName
    code: str
    seconds: int

    def start(self, at: int) -> int:
        """The UTC start (epoch seconds) of the bucket holding epoch second `at`."""
        return at - at % self.seconds


WINDOWS: dict[str, Window] = {w.name: w for w in (Window("minute", "m", 60), Window("hour", "h", 3600),
                                                  Window("day", "d", 86400))}


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each window's buckets are kept (seconds from the bucket's start)."""

    minute_s: int = 2 * 86400
    hour_s: int = 90 * 86400
    day_s: int = 400 * 86400

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        """The retention the settings configure."""
        return cls(settings.metrics_minute_retention_s, settings.metrics_hour_retention_s,
                   settings.metrics_day_retention_s)

    def seconds(self, window: Window) -> int:
        """The retention of `window`."""
        return {"minute": self.minute_s, "hour": self.hour_s, "day": self.day_s}[window.name]


def epoch_s(at: datetime) -> int:
    """Epoch seconds of `at` (a naive time is taken as UTC, like every time in the events)."""
    return int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp())


def latency_field(ms: float) -> str:
    """The histogram counter a latency of `ms` milliseconds increments."""
    for bound, name in zip(LATENCY_BOUNDS_MS, _LATENCY_FIELDS, strict=False):
        if ms <= bound:
            return name
    return _LATENCY_FIELDS[-1]


def dead_letter_field(stage: str, reason: str) -> str:
    """The counter of dead letters of `stage` for `reason` (an error code)."""
    return f"{_DEAD_LETTER}:{stage}:{reason}"


def by_field(kind: str, name: str) -> str:
    """The counter of invoices whose `kind` (decision, route, format, extractor, reason) is `name`."""
    assert kind in _BY, kind
    return f"{kind}:{name}"


@lru_cache(maxsize=4096)
def _classify(field: str) -> tuple[str, str, str]:
    """(group, key, subkey) of a counter name: where it goes in the figures."""
    kind, _, rest = field.partition(":")
    if kind in _BY and rest:
        return _BY[kind], rest, ""
    if kind == _LATENCY and rest:
        return "latency", rest, ""
    if kind == _DEAD_LETTER and rest:
        stage, _, reason = rest.partition(":")
        return "dead_letters", stage, reason or "unknown"
    return "plain", field, ""


def figures(counters: Mapping[str, int]) -> dict[str, Any]:
    """The figures of one bucket (or of a sum of buckets), shaped as `schemas.api.MetricsFigures`.

    Args:
        counters: Counter name -> value, as the tables hold them; unknown names are ignored.
    """
    groups: dict[str, dict[str, int]] = {g: {} for g in _BY.values()}
    histogram: dict[str, int] = {}
    dead: dict[str, dict[str, int]] = {}
    plain: dict[str, int] = {}
    for field, value in counters.items():
        group, key, sub = _classify(field)
        if group == "plain":
            plain[key] = value
        elif group == "latency":
            histogram[key] = value
        elif group == "dead_letters":
            dead.setdefault(key, {})[sub] = value
        else:
            groups[group][key] = value
    scored, touchless = plain.get(SCORED, 0), plain.get(TOUCHLESS, 0)
    return {
        "scored": scored,
        "touchless": touchless,
        "touchless_rate": touchless / scored if scored else None,
        **groups,
        "paid_pages": plain.get(PAID_PAGES, 0),
        "cost_micro_usd": plain.get(COST_MICRO_USD, 0),
        "latency": latency_figures(histogram, plain.get(LATENCY_SUM_MS, 0)),
        "dead_letters": {"total": plain.get(DEAD_LETTERS, 0), "by_stage": dead},
    }


def latency_figures(histogram: Mapping[str, int], sum_ms: int) -> dict[str, Any]:
    """Count, sum, mean and p50/p95/p99 (ms) of a latency histogram (bucket label -> count)."""
    counts = [histogram.get(label, 0) for label in _LATENCY_LABELS]
    count = sum(counts)
    return {
        "count": count,
        "sum_ms": sum_ms,
        "mean_ms": sum_ms / count if count else None,
        "p50_ms": quantile(counts, 0.50),
        "p95_ms": quantile(counts, 0.95),
        "p99_ms": quantile(counts, 0.99),
        "histogram": {label: n for label, n in zip(_LATENCY_LABELS, counts, strict=True) if n},
    }


def quantile(counts: Iterable[int], q: float) -> float | None:
    """The `q` quantile (ms) of histogram bucket counts in `LATENCY_BOUNDS_MS` order (the last: above them).

    Linear within the bucket that holds it; a quantile in the last, open bucket is its lower bound (the
    slowest bound), since nothing says how far beyond it the values lie. None for an empty histogram.
    """
    counts = list(counts)
    total = sum(counts)
    if not total:
        return None
    rank = q * total
    seen = 0
    for i, n in enumerate(counts):
        if n and seen + n >= rank:
            if i >= len(LATENCY_BOUNDS_MS):
                return float(LATENCY_BOUNDS_MS[-1])
            low = LATENCY_BOUNDS_MS[i - 1] if i else 0
            return low + (LATENCY_BOUNDS_MS[i] - low) * max(rank - seen, 0) / n
        seen += n
    return float(LATENCY_BOUNDS_MS[-1])  # unreachable: the ranks add up to the total


DEFAULT_BUCKETS = {"minute": 60, "hour": 24, "day": 30}
"""Buckets read when no start is given: the last hour of minutes, day of hours, month of days."""


def parse_time(value: str, name: str) -> float:
    """Epoch seconds of a time given as epoch seconds or ISO 8601 (without an offset: UTC); ValueError else."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: epoch seconds or ISO 8601, e.g. 2026-12-03T14:00:00Z") from None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def bucket_range(window: str, start: float | None, end: float | None, now: float,
                 max_buckets: int) -> tuple[int, int]:
    """The [from, to) range of bucket starts (epoch s) to read: a bucket is in when its start lies in it.

    By default `to` is the end of the current bucket and `from` `DEFAULT_BUCKETS` buckets before it.
    Raises ValueError for an empty range or one of more than `max_buckets` buckets.
    """
    w = WINDOWS[window]
    to = math.ceil(end) if end is not None else w.start(int(now)) + w.seconds
    frm = math.ceil(start) if start is not None else to - DEFAULT_BUCKETS[window] * w.seconds
    if frm >= to:
        raise ValueError("from must be before to")
    if (to - frm) / w.seconds > max_buckets:
        raise ValueError(f"at most {max_buckets} {window} buckets per request")
    return frm, to


def metrics_document(tenant: str | None, window: str, start: int, end: int,
                     series: Sequence[tuple[int, Mapping[str, int]]], totals: Mapping[str, int]) -> dict[str, Any]:
    """The figures of a range of buckets, shaped as `schemas.api.MetricsResponse` (times as datetimes)."""
    return {
        "tenant": tenant, "window": window, "from": datetime.fromtimestamp(start, UTC),
        "to": datetime.fromtimestamp(end, UTC),
        "series": [{"start": datetime.fromtimestamp(b, UTC), **figures(c)} for b, c in series],
        "totals": figures(totals),
    }
