"""The table printed at the end of a run: every figure of the issue, each next to its target.

Targets are printed, never enforced: the benchmark reports what this machine reached (DEVELOPERS.md).
"""

from __future__ import annotations

import math

from tools.bench._figures import (
    OLD_PLATFORM_COST_USD,
    TARGET_EFFICIENCY,
    TARGET_P99_MS,
    TARGET_PER_S,
    TARGET_RSS_MB,
    Ceiling,
    Figures,
    Latency,
)


def _n(value: float, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def _latency(label: str, lat: Latency) -> str:
    return (f"{label:<26} p50 {_n(lat.p50_ms, 1):>8}  p95 {_n(lat.p95_ms, 1):>8}  p99 {_n(lat.p99_ms, 1):>8}"
            f"  max {_n(lat.max_ms, 1):>8} ms")


def _head(f: Figures) -> list[str]:
    r = f.run
    rate = f"{_n(r.rate)}/s fixed" if r.rate is not None else (
        f"as fast as possible, at most {r.window:,} in flight" if r.window else "all at once (backlog)")
    plan = ", ".join(f"[{p}]" for p in r.plan)
    return [
        f"invoiceflow bench e2e - run {r.run_id} on {r.machine}",
        f"documents    {r.count:,} ({r.mix}), seed {r.seed}, {'generated' if r.corpus_generated else 'cached'}"
        f" in {r.corpus}",
        f"workers      {r.workers} process(es): {plan}; publishing {rate}",
        f"vendor master seeded from the generated truth ({r.vendor_facts} identities for tenant {r.tenant}):",
        "             the touchless rate reflects extraction quality, not the new-vendor rule",
        "",
    ]


def _results(f: Figures) -> list[str]:
    lines = [
        f"arrived      {f.arrived:,} / {f.published:,} scored (redelivered {f.redelivered}, dead-lettered"
        f" {f.dead_lettered}){'' if f.complete else '  INCOMPLETE'}",
        f"throughput   {_n(f.throughput_per_s)} invoices/s = {_n(f.throughput_per_min)}/min ({f.throughput_method});"
        f" {_n(f.overall_per_s)}/s overall; published at {_n(f.publish_per_s)}/s"
        f"   [target >= {_n(TARGET_PER_S)}/s]",
        _latency("latency scored-received", f.latency_scored),
        _latency("latency arrival-publish", f.latency_arrival),
        f"{'':<26} (first 10% sent left out as warm-up; with them p99 {_n(f.latency_scored_all.p99_ms, 1)} ms,"
        f" max {_n(f.latency_scored_all.max_ms, 1)} ms)  [target p99 <= {_n(TARGET_P99_MS)} ms at half the best rate]",
        "",
        f"{'stage':<12}{'per s busy':>12}{'peak per s':>12}{'max lag':>10}",
    ]
    lines += [f"{s.stage:<12}{_n(s.per_s):>12}{_n(s.peak_per_s):>12}{s.max_lag:>10,}" for s in f.stages]
    lines += ["", f"{'process':<12}{'CPU s':>9}{'% core':>9}{'CPU ms/inv':>12}{'peak RSS MB':>13}"]
    for p in f.processes:
        flag = "  [target <= 400]" if p.name.startswith("worker") and p.peak_rss_mb > TARGET_RSS_MB else ""
        lines.append(f"{p.name:<12}{_n(p.cpu_s, 1):>9}{_n(p.cpu_share * 100):>9}{_n(p.cpu_ms_per_invoice, 3):>12}"
                     f"{_n(p.peak_rss_mb):>13}{flag}")
    lines.append(f"{'machine':<12} {f.machine_busy:.0%} of all cores busy; processes outside this run used"
                 f" {_n(f.other_cpu_s, 1)} CPU s")
    lines.append(f"{'stack':<12} {_n(f.stack_cpu_ms_per_invoice, 3)} CPU ms per invoice (workers, broker, Redis,"
                 f" PostgreSQL): {f.run.cores} idle cores would clear {_n(f.projected_per_s)}/s")
    total = sum(f.decisions.values()) or 1
    shares = ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(f.decisions.items()))
    lines += [
        "",
        f"cost         {f.paid_pages:,} paid pages, ${f.cost_usd_total:,.4f} in all, ${f.cost_per_invoice_usd:.6f} per"
        f" invoice   [old platform ${OLD_PLATFORM_COST_USD:.2f}]",
        f"touchless    {f.touchless:.1%} auto-approved ({shares})",
    ]
    if f.paid_quota:
        q = f.paid_quota
        lines.append(
            f"paid quota   {q['achieved_analyze_rps']:.2f} analyze/s of {q['configured_analyze_rps']:g} configured"
            f" (ratio {q['rate_ratio']:.3f}), {int(q['throttled_429'])} x 429,"
            f" {int(q['analyses'])} analyses for {int(q['documents'])} documents")
    return lines


def _ceiling(c: Ceiling, f: Figures) -> list[str]:
    stages = " + ".join(f"{s} {_n(us)}" for s, us in c.pure_cpu_us.items())
    return [
        "",
        f"ceiling (a)  raw aiokafka chain, {len(f.stages)} hops, {f.run.workers} process(es), same payloads:"
        f" {_n(c.raw_chain_per_s)}/s  (hop CPU {_n(c.raw_hop_cpu_us, 1)} us, broker {_n(c.raw_broker_cpu_us, 1)} us"
        " per message per hop)",
        f"ceiling (b)  pure stage CPU per invoice over {c.pure_documents:,} documents: {stages} ="
        f" {_n(c.pure_total_us)} us  (codec, not included: {_n(c.codec_us)} us)",
        f"             {c.cores} cores / b = {_n(c.cpu_limit_per_s)}/s",
        f"limit        min(a, cores / b) = {_n(c.limit_per_s)}/s",
        f"efficiency   {_n(f.throughput_per_s)} / {_n(c.limit_per_s)} = {_n(c.efficiency, 2)}"
        f"   [target >= {TARGET_EFFICIENCY}]",
    ]


def format_table(f: Figures) -> str:
    """The human report of a run."""
    lines = _head(f) + _results(f)
    if f.ceiling is not None:
        lines += _ceiling(f.ceiling, f)
    lines += [f"note         {n}" for n in f.notes]
    return "\n".join(lines)
