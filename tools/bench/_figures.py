"""The figures of one run, as values: what the table prints, the JSON holds and the plot draws.

Frozen dataclasses, so a figure cannot drift between the three outputs; `as_json` turns them into plain
JSON (NaN becomes null: a figure that could not be measured is absent, not zero).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

OLD_PLATFORM_COST_USD = 0.13
TARGET_PER_S = 1_000.0
TARGET_EFFICIENCY = 0.5
TARGET_P99_MS = 250.0
TARGET_RSS_MB = 400.0


@dataclass(frozen=True, slots=True)
class Latency:
    """Latency percentiles in milliseconds."""

    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True)
class StageFigure:
    """One stage: its throughput while busy (first to last progress), its peak 1 s rate, its worst lag."""

    stage: str
    per_s: float
    peak_per_s: float
    max_lag: int


@dataclass(frozen=True, slots=True)
class ProcessFigure:
    """One process (or group of processes) over the run window."""

    name: str
    cpu_s: float
    cpu_share: float  # of one core, over the window
    cpu_ms_per_invoice: float
    peak_rss_mb: float


@dataclass(frozen=True, slots=True)
class Ceiling:
    """The machine's limit for this work, measured in the same run."""

    raw_chain_per_s: float
    raw_hop_cpu_us: float
    raw_broker_cpu_us: float
    pure_cpu_us: Mapping[str, float]
    pure_total_us: float
    pure_documents: int
    codec_us: float
    cores: int
    cpu_limit_per_s: float
    limit_per_s: float
    efficiency: float


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What was run, where."""

    run_id: str
    machine: str
    cores: int
    count: int
    mix: str
    rate: float | None
    window: int
    workers: int
    plan: tuple[str, ...]
    seed: int
    corpus: str
    corpus_generated: bool
    tenant: str
    vendor_facts: int


@dataclass(frozen=True, slots=True)
class Series:
    """Per-second series since the first publish, for the plot and the JSON."""

    published: tuple[int, ...] = ()
    scored: tuple[int, ...] = ()
    stage_rates: Mapping[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    lag: Mapping[str, tuple[tuple[float, int], ...]] = field(default_factory=dict)
    latency: tuple[tuple[float, float, float], ...] = ()  # (second, p50 ms, p99 ms)


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything one run measured."""

    run: RunInfo
    published: int
    arrived: int
    redelivered: int
    dead_lettered: int
    wall_s: float
    publish_per_s: float
    throughput_per_s: float
    throughput_method: str
    overall_per_s: float
    latency_scored: Latency  # invoices sent after the warm-up (the first 10% sent)
    latency_arrival: Latency  # the same invoices, arrival at the bench minus send
    latency_scored_all: Latency  # every invoice, warm-up included
    stages: tuple[StageFigure, ...]
    processes: tuple[ProcessFigure, ...]
    machine_busy: float  # share of all cores busy over the run window, whoever used them
    other_cpu_s: float  # CPU seconds of processes outside the run (a shared machine's other users)
    stack_cpu_ms_per_invoice: float  # workers, broker, Redis and PostgreSQL together (the bench excluded)
    paid_pages: int
    cost_usd_total: float
    cost_per_invoice_usd: float
    decisions: Mapping[str, int]
    touchless: float
    ceiling: Ceiling | None
    series: Series
    notes: tuple[str, ...] = ()
    paid_quota: Mapping[str, float] | None = None  # from the fake's request log: quota use, 429s

    @property
    def throughput_per_min(self) -> float:
        """Sustained invoices per minute."""
        return self.throughput_per_s * 60.0

    @property
    def projected_per_s(self) -> float:
        """What the stack's CPU per invoice allows on this machine's cores if nothing else ran on them."""
        ms = self.stack_cpu_ms_per_invoice
        return self.run.cores * 1000.0 / ms if ms and not math.isnan(ms) else math.nan

    @property
    def complete(self) -> bool:
        """Whether every published invoice was scored."""
        return self.arrived == self.published


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else round(obj, 6)
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def as_json(figures: Figures) -> dict[str, Any]:
    """The figures as plain JSON-ready data (NaN as null), with the derived per-minute figure and targets."""
    data = asdict(figures)
    data["throughput_per_min"] = figures.throughput_per_min
    data["projected_per_s"] = figures.projected_per_s
    data["complete"] = figures.complete
    data["targets"] = {"per_s": TARGET_PER_S, "efficiency": TARGET_EFFICIENCY, "p99_ms_at_half_rate": TARGET_P99_MS,
                       "worker_rss_mb": TARGET_RSS_MB, "old_platform_cost_usd": OLD_PLATFORM_COST_USD}
    cleaned: dict[str, Any] = _clean(data)
    return cleaned
