"""`invoiceflow bench records`: what the score and aggregate stages cost per invoice, printed as figures.

Two numbers decide whether the back half of the pipeline keeps up: how many rows per second reach
PostgreSQL (the batch statement against one INSERT per row, same rows, same run; target at least 20x) and
how long the pure score takes per invoice (target a median under 0.2 ms). Events are the typical invoice
of `tools.bench.score` (five lines), scored auto_approve, written for a scratch tenant that is deleted
afterwards. Speed is printed, never asserted.
"""

from __future__ import annotations

import asyncio
import statistics
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agents.score import ScoreResult, scored_event
from schemas import Decision, InvoiceScored
from streams.sinks.postgres import open_pool
from tools.bench.score import bench_score, sample_extracted
from tools.bench.sinks import RecordFigures, bench_records

_T0 = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BenchFigures:
    """The record-store figures and the median score time."""

    records: RecordFigures
    score_us: float
    batch: int


def make_events(prefix: str, count: int, tenant: str) -> list[InvoiceScored]:
    """`count` scored copies of the sample invoice, each its own invoice id (`prefix` + n) and event."""
    base = sample_extracted()
    result = ScoreResult(0.97, Decision.AUTO_APPROVE, (), "bench")
    out = []
    for n in range(count):
        extracted = base.model_copy(update={"invoice_id": f"{prefix}{n}", "tenant_id": tenant,
                                            "event_id": f"{prefix}{n}-extract"})
        out.append(scored_event(extracted, result, _T0 + timedelta(milliseconds=n)))
    return out


async def _records(dsn: str, count: int, batch: int, repeat: int) -> RecordFigures:
    tenant = f"bench-records-{uuid.uuid4().hex[:10]}"
    pool = await open_pool(dsn, 2)
    try:
        return await bench_records(pool, lambda prefix, n: make_events(prefix, n, tenant), tenant=tenant,
                                   count=count, batch=batch, repeat=repeat)
    finally:
        await pool.close()


def bench_figures(dsn: str, *, count: int = 2000, batch: int = 500, repeat: int = 5) -> BenchFigures:
    """Run both benchmarks: the record writers on the real PostgreSQL at `dsn`, then the pure score."""
    records = asyncio.run(_records(dsn, count, batch, repeat))
    score_us = statistics.median(bench_score(20_000) for _ in range(repeat))
    return BenchFigures(records, score_us, batch)


def format_figures(f: BenchFigures) -> str:
    """The figures as a few human lines."""
    r = f.records
    return "\n".join([
        f"records: {r.rows} rows per run (invoice, extraction, decision, 5 lines per invoice), "
        f"median of {r.repetitions} runs",
        f"  batch writer ({f.batch} events per statement): {r.batch_rows_per_s:10,.0f} rows/s",
        f"  one INSERT per row:                    {r.single_rows_per_s:10,.0f} rows/s",
        f"  ratio: {r.ratio:.1f}x (target >= 20x)",
        f"score: median {f.score_us:.1f} us per invoice, median of {r.repetitions} runs (target < 200 us)",
    ])
