"""Turn what a run recorded (send times, arrivals, offset and process samples) into its figures.

Two latencies are reported: `scored_at - received_at` as the pipeline stamps it (what a downstream system
reads in the event), and arrival at the bench's consumer minus the send instant (what a subscriber really
waits, the last hop included). Throughput is sustained throughput (see `_stats.sustained`); stage throughputs are
taken while each stage was busy, CPU shares over the sampled window.
"""

from __future__ import annotations

import itertools
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal

import psutil

from config.topics import INVOICE_STAGES, STAGES
from tools.bench._ceiling import RawChain
from tools.bench._collect import Arrival
from tools.bench._config import PureCost
from tools.bench._figures import Ceiling, Latency, ProcessFigure, Series, StageFigure
from tools.bench._monitor import Group, OffsetSample
from tools.bench._stats import latency_series, per_second, percentile

_MB = 1024 * 1024


def latency(seconds: Sequence[float]) -> Latency:
    """Percentiles of latencies given in seconds, in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    return Latency(percentile(ms, 0.50), percentile(ms, 0.95), percentile(ms, 0.99), max(ms, default=math.nan))


def stage_counters(samples: Sequence[OffsetSample], prefix: str) -> dict[str, list[tuple[float, int]]]:
    """Per stage, its progress counter over time: its output's end offset, or (no output) its commits."""
    out: dict[str, list[tuple[float, int]]] = {}
    for stage, (source, output) in STAGES.items():
        if output is not None:
            out[stage] = [(s.t, s.end.get(prefix + output, 0)) for s in samples]
        else:
            out[stage] = [(s.t, s.committed.get(prefix + source, 0)) for s in samples]
    return out


def stage_lags(samples: Sequence[OffsetSample], prefix: str) -> dict[str, list[tuple[float, int]]]:
    """Per stage, its consumer lag (end of its input minus the group's committed offset) over time."""
    return {stage: [(s.t, max(0, s.end.get(prefix + src, 0) - s.committed.get(prefix + src, 0))) for s in samples]
            for stage, (src, _) in STAGES.items()}


def _active_rate(points: Sequence[tuple[float, int]]) -> tuple[float, float]:
    """(mean rate while the counter moved, peak rate between two samples) of a (time, counter) series."""
    if len(points) < 2 or points[-1][1] == points[0][1]:
        return math.nan, math.nan
    first, final = points[0][1], points[-1][1]
    start = next(points[i - 1][0] for i in range(1, len(points)) if points[i][1] > first)
    end = next(t for t, v in points if v == final)
    steps = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in itertools.pairwise(points) if b[0] > a[0]]
    return (final - first) / (end - start) if end > start else math.nan, max(steps, default=math.nan)


def stage_figures(samples: Sequence[OffsetSample], prefix: str) -> tuple[StageFigure, ...]:
    """Each stage's throughput while it was busy, its peak one-second rate and its worst lag."""
    counters, lags = stage_counters(samples, prefix), stage_lags(samples, prefix)
    return tuple(StageFigure(stage, *_active_rate(counters[stage]), max((v for _, v in lags[stage]), default=0))
                 for stage in INVOICE_STAGES)


def process_figures(groups: Sequence[Group], invoices: int) -> tuple[ProcessFigure, ...]:
    """CPU and peak memory of each process group over its sampled window."""
    figures = []
    for g in groups:
        window = g.series[-1][0] - g.series[0][0] if len(g.series) > 1 else math.nan
        figures.append(ProcessFigure(g.name, g.cpu_s, g.cpu_s / window if window else math.nan,
                                     g.cpu_s * 1000.0 / invoices if invoices else math.nan, g.peak_rss / _MB))
    return tuple(figures)


def stack_cpu_ms(groups: Sequence[Group], invoices: int) -> float:
    """CPU milliseconds per invoice of the stack: not the bench (the load) nor a fake (a remote service)."""
    ours = [g for g in groups if g.name != "bench" and not g.name.startswith("fake")]
    return sum(g.cpu_s for g in ours) * 1000.0 / invoices if invoices else math.nan


def machine_busy(groups: Sequence[Group], busy_s: float, cores: int) -> float:
    """Share of all cores busy over the sampled window."""
    series = groups[0].series if groups else []
    window = series[-1][0] - series[0][0] if len(series) > 1 else math.nan
    return busy_s / (window * cores) if window and cores else math.nan


def ceiling(raw: RawChain | None, pure: PureCost, throughput: float) -> Ceiling:
    """min(a, cores / b) and our throughput as a share of it."""
    cores = len(os.sched_getaffinity(0))
    cpu_limit = cores / pure.total_s if pure.total_s > 0 else math.inf
    raw_per_s = raw.per_s if raw is not None else math.nan
    limit = min(raw_per_s, cpu_limit) if not math.isnan(raw_per_s) else cpu_limit
    return Ceiling(
        raw_chain_per_s=raw_per_s, raw_hop_cpu_us=raw.hop_cpu_us if raw else math.nan,
        raw_broker_cpu_us=raw.broker_cpu_us if raw else math.nan,
        pure_cpu_us={s: v * 1e6 for s, v in pure.per_stage_s.items()}, pure_total_us=pure.total_s * 1e6,
        pure_documents=pure.documents, codec_us=pure.codec_s * 1e6, cores=cores, cpu_limit_per_s=cpu_limit,
        limit_per_s=limit, efficiency=throughput / limit if limit else math.nan,
    )


def series(sent_at: Sequence[float], arrivals: Sequence[Arrival], samples: Sequence[OffsetSample],
           prefix: str, origin: float) -> Series:
    """The per-second series of the run, since `origin` (the first send)."""
    counters, lags = stage_counters(samples, prefix), stage_lags(samples, prefix)
    rates = {stage: tuple((b[0] - origin, (b[1] - a[1]) / (b[0] - a[0])) for a, b in itertools.pairwise(pts)
                          if b[0] > a[0]) for stage, pts in counters.items()}
    points = [(a.arrived_at, a.scored_latency_s * 1000.0) for a in arrivals]
    return Series(
        published=tuple(per_second([t for t in sent_at if not math.isnan(t)], origin)),
        scored=tuple(per_second([a.arrived_at for a in arrivals], origin)),
        stage_rates=rates,
        lag={stage: tuple((t - origin, v) for t, v in pts) for stage, pts in lags.items()},
        latency=tuple(latency_series(points, origin)),
    )


def outcome(arrivals: Sequence[Arrival]) -> tuple[int, float, Mapping[str, int], float]:
    """(paid pages, total cost in USD, decisions counted, touchless share)."""
    decisions = Counter(a.decision for a in arrivals)
    cost = sum((a.cost_usd for a in arrivals), Decimal(0))
    touchless = decisions.get("auto_approve", 0) / len(arrivals) if arrivals else math.nan
    return sum(a.paid_pages for a in arrivals), float(cost), dict(decisions), touchless


def run_info_machine() -> str:
    """A short description of this machine: CPU model, cores, memory."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model}, {len(os.sched_getaffinity(0))} cores, {psutil.virtual_memory().total / 1024**3:.1f} GB RAM"

