"""`run_bench`: one end-to-end benchmark run, from documents to figures, cleaned up after.

The phases run one after the other, never overlapping, so none disturbs another's measurement:
1. documents: generated once per (count, mix, seed) and cached;
2. ceiling (b): CPU per invoice of the pure stage functions over a sample of the same documents;
3. the pipeline: real workers on the real stack, a fresh topic prefix, app id and tenant;
4. ceiling (a): a raw aiokafka chain with the payloads captured from step 3's topics, same processes;
5. cleanup of the run's topics, Redis keys and rows (unless `keep`), then the table, JSON and plot.
A mix that can reach the paid extractor (scans, text PDFs) gets the local fake of Document Intelligence at
the real quota for the pipeline phase.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import random
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import orjson

from config.settings import Settings
from config.topics import DETECTED, EXTRACTED, INVOICE_STAGES, RECEIVED, SCORED, STAGES, dead_letter_topic
from streams.admin import ensure_topics
from streams.topics import topic_name
from tools.bench import _analyse as an
from tools.bench._ceiling import RawChain, capture, run_raw_chain
from tools.bench._config import BenchConfig, BenchHooks, PureCost, mix_label
from tools.bench._corpus import Corpus, load_or_generate
from tools.bench._figures import Figures, RunInfo, as_json
from tools.bench._housekeeping import clean_up
from tools.bench._paid import check_wired, needs_paid, start_fake
from tools.bench._pipeline import Pace, PipelineRun, Services, elapsed, run_pipeline
from tools.bench._plot import write_plot
from tools.bench._procs import plan_stages, stop_children
from tools.bench._publish import prepare
from tools.bench._stats import sustained
from tools.bench._table import format_table

WARMUP_SHARE = 0.1  # latency percentiles leave out the first 10% of invoices sent (workers warming up)
HOP_COST_S = 0.000_2  # a Faust hop's CPU per event (DEVELOPERS.md), added to each stage when splitting


def _say(text: str) -> None:
    sys.stderr.write(f"bench: {text}\n")
    sys.stderr.flush()


def _sample(docs: Sequence[tuple[Path, str]], size: int, seed: int) -> list[tuple[Path, str]]:
    if len(docs) <= size:
        return list(docs)
    return random.Random(seed).sample(list(docs), size)


def _documents(config: BenchConfig, hooks: BenchHooks, cache_root: Path) -> Corpus:
    _say(f"documents: {config.count:,} of {mix_label(config.mix)} (cached under {cache_root}; the first"
         " generation of PDFs takes minutes)")
    corpus = load_or_generate(config, hooks, cache_root)
    _say(f"documents: {'generated' if corpus.generated else 'reused'} {corpus.root}")
    return corpus


async def run_bench(settings: Settings, config: BenchConfig, hooks: BenchHooks) -> Figures:
    """Run the benchmark; prints the table, writes the JSON and plot if asked; returns the figures."""
    run_id = uuid.uuid4().hex[:8]
    prefix, tenant = f"bench{run_id}.", f"bench-{run_id}"
    run_settings = settings.model_copy(update={"topic_prefix": prefix, "app_id": f"invoiceflow-bench-{run_id}"})
    check_wired(config.mix)
    corpus = _documents(config, hooks, config.cache_dir or settings.state_dir.parent / "bench")
    docs = corpus.documents()
    _say(f"ceiling (b): timing the pure stage functions on {min(len(docs), config.pure_sample):,} documents")
    pure = hooks.measure_pure(_sample(docs, config.pure_sample, config.seed))
    plan = plan_stages(config.workers, config.split, {s: pure.per_stage_s.get(s, 0.0) + HOP_COST_S
                                                         for s in INVOICE_STAGES})
    work_dir = Path(tempfile.mkdtemp(prefix=f"invoiceflow-bench-{run_id}-"))
    fake = await start_fake(work_dir, config.paid_endpoints) if needs_paid(config.mix) else None
    quota: dict[str, float] | None = None
    roots = {"INVOICEFLOW_FILE_ROOTS": orjson.dumps([str(corpus.root)]).decode()}  # workers read its documents only
    services = Services({**fake.env(), **roots}, {"fake-azure": fake.child.proc.pid}) if fake else Services(roots)
    try:
        await ensure_topics(run_settings)
        facts = await hooks.seed_vendors(prefix, tenant, corpus.rows)
        if fake is not None:
            await fake.teach(corpus.rows)
        items = await asyncio.to_thread(prepare, [p for p, _ in docs], tenant, run_settings)
        _say(f"pipeline: {len(plan)} worker(s) {list(plan)}, run {run_id}, logs in {work_dir}")
        run = await run_pipeline(run_settings, items, plan, Pace(config.rate, config.window), services, work_dir,
                                 config.stall_timeout_s, config.progress)
        quota = await fake.quota_figures() if fake is not None else None
        _say("ceiling (b): timing the pure stage functions again, after the run (the machine's speed drifts)")
        after = hooks.measure_pure(_sample(docs, config.pure_sample, config.seed))
        raw = await _raw_chain(run_settings, run, len(plan), work_dir, config)
    finally:
        if fake is not None:
            stop_children([fake.child])
        if not config.keep:
            _say(await clean_up(run_settings, prefix, tenant))
    info = RunInfo(run_id=run_id, machine=an.run_info_machine(), cores=len(os.sched_getaffinity(0)),
                   count=config.count, mix=mix_label(config.mix), rate=config.rate, window=config.window,
                   workers=len(plan), plan=tuple(plan), seed=config.seed, corpus=str(corpus.root),
                   corpus_generated=corpus.generated, tenant=tenant, vendor_facts=facts)
    figures = build_figures(info, run, bracket(pure, after), raw, prefix)
    figures = dataclasses.replace(figures, notes=(
        *figures.notes,
        f"pure stage CPU per invoice {pure.total_s * 1e6:,.0f} us before the run, {after.total_s * 1e6:,.0f} us"
        " after: ceiling (b) is their mean",
    ))
    if quota is not None:
        figures = dataclasses.replace(figures, paid_quota=quota)
    _write(figures, config)
    return figures


async def _raw_chain(settings: Settings, run: PipelineRun, processes: int, work_dir: Path,
                     config: BenchConfig) -> RawChain | None:
    if not run.complete:
        _say("ceiling (a): skipped, the pipeline run is incomplete")
        return None
    _say(f"ceiling (a): raw aiokafka chain of {len(INVOICE_STAGES)} hops in {processes} process(es)")
    payloads = await capture(settings, [topic_name(settings, t) for t in (RECEIVED, DETECTED, EXTRACTED, SCORED)])
    return await run_raw_chain(settings, settings.topic_prefix, payloads, config.count, processes, work_dir,
                               config.stall_timeout_s, config.window)


def bracket(before: PureCost, after: PureCost) -> PureCost:
    """The pure cost measured on both sides of the pipeline run, averaged (a noisy machine drifts in between)."""
    stages = dict.fromkeys([*before.per_stage_s, *after.per_stage_s])
    return PureCost(
        {s: (before.per_stage_s.get(s, 0.0) + after.per_stage_s.get(s, 0.0)) / 2 for s in stages},
        (before.codec_s + after.codec_s) / 2,
        before.documents,
    )


def build_figures(info: RunInfo, run: PipelineRun, pure: PureCost, raw: RawChain | None, prefix: str) -> Figures:
    """Every figure of the run from what it recorded."""
    first, last = elapsed(run.sent_at, run.arrivals)
    per_s, method = sustained(run.sent_at, [a.arrived_at for a in run.arrivals], info.rate, info.window)
    sent = [t for t in run.sent_at if not math.isnan(t)]
    pages, cost, decisions, touchless = an.outcome(run.arrivals)
    final = run.offsets[-1].end if run.offsets else {}
    dead = sum(final.get(prefix + dead_letter_topic(s), 0) for s in STAGES)
    warm = [a for a in run.arrivals if a.index >= len(run.sent_at) * WARMUP_SHARE]  # steady state only
    lat_arrival = [a.arrived_at - run.sent_at[a.index] for a in warm]
    return Figures(
        run=info, published=len(sent), arrived=len(run.arrivals), redelivered=run.redelivered, dead_lettered=dead,
        wall_s=last - first, publish_per_s=len(sent) / (max(sent) - min(sent)) if len(sent) > 1 else math.nan,
        throughput_per_s=per_s, throughput_method=method,
        overall_per_s=len(run.arrivals) / (last - first) if last > first else math.nan,
        latency_scored=an.latency([a.scored_latency_s for a in warm]),
        latency_arrival=an.latency(lat_arrival),
        latency_scored_all=an.latency([a.scored_latency_s for a in run.arrivals]),
        stages=an.stage_figures(run.offsets, prefix),
        processes=an.process_figures(run.processes, len(run.arrivals)),
        machine_busy=an.machine_busy(run.processes, run.machine_busy_s, info.cores),
        other_cpu_s=run.machine_busy_s - sum(g.cpu_s for g in run.processes),
        stack_cpu_ms_per_invoice=an.stack_cpu_ms(run.processes, len(run.arrivals)),
        paid_pages=pages, cost_usd_total=cost, cost_per_invoice_usd=cost / len(run.arrivals) if run.arrivals else 0.0,
        decisions=decisions, touchless=touchless, ceiling=an.ceiling(raw, pure, per_s),
        series=an.series(run.sent_at, run.arrivals, run.offsets, prefix, first),
    )


def _write(figures: Figures, config: BenchConfig) -> None:
    sys.stdout.write(format_table(figures) + "\n")
    if config.json_path is not None:
        config.json_path.write_bytes(orjson.dumps(as_json(figures), option=orjson.OPT_INDENT_2))
        _say(f"figures written to {config.json_path}")
    if config.plot_path is not None:
        write_plot(figures, config.plot_path)
        _say(f"plot written to {config.plot_path}")
