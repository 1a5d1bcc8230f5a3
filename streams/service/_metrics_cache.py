"""The metrics answers the service keeps, so a request costs what changed since the last one, not a day.

A bucket of the Redis tables changes only when a batch writes it, and every write bumps the bucket's version
and its series' version (`streams.sinks.metric_tables`); closed buckets (every bucket but the current one,
late events aside) hardly ever change. So the service keeps each answer it made with the series version it
was made of, and each bucket it read (version, counters, figures already serialised), and tells the reader
what it holds: when the series has not moved, Redis answers with its version alone and the same bytes go out
again; when it has, Redis sends only the buckets whose version moved. An answer checked against Redis less
than `max_age_s` ago (default 0.25 s) is sent again without asking: at a thousand requests a second for the
same figures, Redis is asked a few times a second instead of a thousand, and nothing is older than that
(0 asks Redis on every request). An answer is also dropped once its oldest bucket has outlived the window's
retention (Redis expires buckets without a write, so without a new version).

Memory is bounded: at most `max_buckets` buckets (all tenants and windows together, least recently asked
for dropped first) and `max_answer_bytes` of answers.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from streams.counters import WINDOWS, Retention, figures
from streams.sinks.metric_tables import SeriesRead, sum_counters

Series = tuple[str | None, str]
"""(tenant or None for all, window)."""
Query = tuple[str | None, str, int, int]
"""(tenant or None, window, from, to)."""


@dataclass(frozen=True, slots=True)
class _Held:
    version: int
    counters: dict[str, int]
    json: bytes


@dataclass(slots=True)
class _Answer:
    series_version: int
    body: bytes
    valid_until: float
    checked_at: float
    """When Redis last confirmed it (monotonic seconds)."""


class MetricsCache:
    """Answers and buckets already made, checked against the series and bucket versions on every request."""

    def __init__(self, retention: Retention, max_buckets: int = 20_000,
                 max_answer_bytes: int = 32 * 1024 * 1024, max_age_s: float = 0.25) -> None:
        self.retention = retention
        self.max_age_s = max_age_s
        self.max_buckets = max_buckets
        self.max_answer_bytes = max_answer_bytes
        self._series: OrderedDict[Series, dict[int, _Held]] = OrderedDict()
        self._answers: OrderedDict[Query, _Answer] = OrderedDict()
        self._held = 0
        self._answer_bytes = 0

    def recent(self, query: Query, now: float, clock: float) -> bytes | None:
        """The answer to `query` if Redis confirmed it less than `max_age_s` ago (`clock`: monotonic now) and
        it is still within retention (`now`: epoch seconds); None: ask Redis."""
        answer = self._answers.get(query)
        if answer is None or clock - answer.checked_at >= self.max_age_s or now >= answer.valid_until:
            return None
        return answer.body

    def holds(self, query: Query, now: float) -> tuple[int | None, dict[int, int]]:
        """What to tell the reader: the series version of the answer held for `query` (None: none held)
        and the versions of the buckets held in its range."""
        answer = self._answers.get(query)
        version = answer.series_version if answer is not None and now < answer.valid_until else None
        held = self._series.get(query[:2])
        start, end = query[2], query[3]
        return version, {b: h.version for b, h in held.items() if start <= b < end} if held else {}

    def answer(self, query: Query, read: SeriesRead, clock: float = float("-inf")) -> bytes | None:
        """The JSON answer to `query` given what the reader returned at `clock` (monotonic seconds; left out,
        the answer never counts as recent); None if it relied on something dropped meanwhile: read again
        without saying what is held."""
        if read.buckets is None:
            made = self._answers.get(query)
            if made is None or made.series_version != read.version:
                return None
            self._answers.move_to_end(query)
            made.checked_at = clock
            return made.body
        held = self._take(query[:2], read)
        if held is None:
            return None
        tenant, window, start, end = query
        body = b"".join((
            b'{"tenant":', orjson.dumps(tenant), b',"window":', orjson.dumps(window),
            b',"from":', orjson.dumps(datetime.fromtimestamp(start, UTC)),
            b',"to":', orjson.dumps(datetime.fromtimestamp(end, UTC)),
            b',"series":[', b",".join(h.json for _, h in held), b'],"totals":',
            orjson.dumps(figures(sum_counters(h.counters for _, h in held))), b"}",
        ))
        oldest = min((b for b, _ in held), default=None)
        valid_until = float("inf") if oldest is None else oldest + self.retention.seconds(WINDOWS[window])
        self._keep_answer(query, _Answer(read.version, body, valid_until, clock))
        return body

    def _take(self, series: Series, read: SeriesRead) -> list[tuple[int, _Held]] | None:
        held = self._series.setdefault(series, {})
        self._series.move_to_end(series)
        out = []
        for bucket, version, counters in read.buckets or ():
            if counters is not None:
                doc = {"start": datetime.fromtimestamp(bucket, UTC), **figures(counters)}
                self._held += bucket not in held
                held[bucket] = _Held(version, counters, orjson.dumps(doc))
            mine = held.get(bucket)
            if mine is None or mine.version != version:
                return None
            out.append((bucket, mine))
        self._shrink(held, {b for b, _ in out})
        return out

    def _shrink(self, current: dict[int, _Held], keep: set[int]) -> None:
        while self._held > self.max_buckets and len(self._series) > 1:
            _, dropped = self._series.popitem(last=False)
            self._held -= len(dropped)
        if self._held > self.max_buckets:  # one series alone is too big: keep what this answer used
            for bucket in [b for b in current if b not in keep]:
                del current[bucket]
            self._held = len(current)

    def _keep_answer(self, query: Query, answer: _Answer) -> None:
        old = self._answers.pop(query, None)
        if old is not None:
            self._answer_bytes -= len(old.body)
        self._answers[query] = answer
        self._answer_bytes += len(answer.body)
        while self._answer_bytes > self.max_answer_bytes and len(self._answers) > 1:
            _, dropped = self._answers.popitem(last=False)
            self._answer_bytes -= len(dropped.body)
