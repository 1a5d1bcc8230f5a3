"""What the commands do, one function each, all returning an exit code."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from config.settings import Settings
from config.topics import STAGES, dead_letter_topic
from streams.admin import ensure_topics, list_topics
from streams.asyncapi import export_schemas
from streams.errors import ConfigError
from streams.publisher import Publisher, iter_documents, received_for_file
from streams.reader import records, topic_reader
from streams.sinks.postgres import import_vendor_master
from streams.sinks.redis import RedisStores, connect_redis
from streams.topics import topic_name


def publish(settings: Settings, paths: Sequence[Path], tenant: str, inline: bool) -> int:
    """Publish one InvoiceReceived per file; refuses missing or oversized files before sending anything."""
    events = [received_for_file(p, tenant, settings, inline=inline) for p in iter_documents(paths)]

    async def send() -> int:
        async with Publisher(settings) as pub:
            with tqdm(total=len(events), unit="inv", disable=len(events) < 50, file=sys.stderr) as bar:
                return await pub.publish(events, on_sent=lambda _ev: bar.update())

    count = asyncio.run(send())
    sys.stderr.write(f"published {count} invoice(s) to {topic_name(settings, 'invoices.received')}\n")
    return 0


async def tail(settings: Settings, topic: str, dlq: bool, headers: bool, from_beginning: bool,
               idle_exit: float | None) -> int:
    """Print each event of a topic (or of a stage's input or dead-letter topic) as one JSON line."""
    async with topic_reader(settings, tail_topic(settings, topic, dlq), from_beginning=from_beginning) as consumer:
        async for rec in records(consumer, idle_exit):
            if headers:
                shown = " ".join(f"{k}={(v or b'').decode('utf-8', 'replace')!r}" for k, v in rec.headers)
                sys.stdout.write(f"# {rec.topic}:{rec.partition}:{rec.offset} key={rec.key!r} {shown}\n")
            sys.stdout.write((rec.value or b"").decode("utf-8", "replace") + "\n")
            sys.stdout.flush()
    return 0


def tail_topic(settings: Settings, name: str, dlq: bool) -> str:
    """The full topic `tail` reads: a stage's input (or dead-letter) topic, a base name with the prefix
    applied, or a name that already carries it."""
    if name in STAGES:
        return topic_name(settings, dead_letter_topic(name) if dlq else STAGES[name][0])
    if dlq:
        raise ConfigError("--dlq goes with a stage name (detect, extract, score, aggregate)")
    prefix = settings.topic_prefix
    return name if prefix and name.startswith(prefix) else topic_name(settings, name)


def samples(out_dir: Path, count: int, formats: Sequence[str], seed: int) -> int:
    """Generate `count` synthetic invoices into `out_dir` with their truth.jsonl."""
    from tools.samples import generate_samples

    rows = generate_samples(out_dir, count, formats=tuple(f.strip() for f in formats if f.strip()), seed=seed)
    sys.stderr.write(f"wrote {len(rows)} documents and truth.jsonl to {out_dir}\n")
    return 0


async def topics(settings: Settings, action: str) -> int:
    """List the pipeline's existing topics, or create the missing ones."""
    if action == "create":
        created = await ensure_topics(settings)
        sys.stdout.write(f"created {len(created)} topic(s)\n")
    for name in await list_topics(settings):
        sys.stdout.write(name + "\n")
    return 0


async def metrics(settings: Settings, tenant: str | None) -> dict[str, dict[str, int]]:
    """Per-tenant counters."""
    client = connect_redis(settings.redis_url.get_secret_value())
    try:
        return await RedisStores(client, settings.topic_prefix).read(tenant)
    finally:
        await client.aclose()


async def metrics_window(settings: Settings, tenant: str | None, window: str, start: str | None,
                         end: str | None) -> dict[str, object]:
    """A tenant's (or all tenants') figures per bucket of `window` in [start, end), and their totals."""
    from streams.counters import bucket_range, metrics_document, parse_time

    try:
        frm, to = bucket_range(window, None if start is None else parse_time(start, "--from"),
                               None if end is None else parse_time(end, "--to"), time.time(), 100_000)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    client = connect_redis(settings.redis_url.get_secret_value())
    try:
        reading = await RedisStores(client, settings.topic_prefix).read_window(tenant, window, frm, to)
    finally:
        await client.aclose()
    return metrics_document(tenant, window, frm, to, reading.series, reading.totals)


async def import_vendors(settings: Settings, path: Path, tenant: str) -> int:
    """Import a vendor master file into the tenant's known vendors."""
    from agents.vendors import read_rows, vendor_facts

    facts = vendor_facts(tenant, read_rows(path))
    client = connect_redis(settings.redis_url.get_secret_value())
    try:
        await RedisStores(client, settings.topic_prefix).learn_vendors(facts)
    finally:
        await client.aclose()
    await import_vendor_master(settings.postgres_dsn.get_secret_value(), facts)
    sys.stdout.write(f"imported {len(facts)} vendor identities for tenant {tenant}\n")
    return 0


async def rebuild_index(settings: Settings, tenant: str | None) -> int:
    """Rebuild the Redis dedupe index (documents, business keys, vendors) from the PostgreSQL records."""
    from agents.reindex import index_entries
    from streams.sinks.postgres import open_pool
    from streams.sinks.recovery import recorded_invoices, recorded_vendors

    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 2)
    client = connect_redis(settings.redis_url.get_secret_value())
    invoices = restored = unreadable = 0
    try:
        stores = RedisStores(client, settings.topic_prefix)
        async for rows in recorded_invoices(pool, tenant):
            entries = index_entries(rows)
            restored += await stores.restore(entries.documents, entries.keys)
            invoices, unreadable = invoices + len(rows), unreadable + entries.unreadable
        vendors = await recorded_vendors(pool, tenant)
        await stores.learn_vendors(vendors)
    finally:
        await client.aclose()
        await pool.close()
    sys.stdout.write(f"index rebuilt from {invoices} recorded invoices: {restored} claims restored (others were "
                     f"still there), {len(vendors)} vendor identities"
                     + (f"; {unreadable} invoices had unreadable fields" if unreadable else "") + "\n")
    return 0


def export(settings: Settings, out_dir: Path) -> int:
    """Write the JSON Schemas and the AsyncAPI document."""
    for path in export_schemas(settings, out_dir):
        sys.stdout.write(f"{path}\n")
    return 0


def demo(settings: Settings, count: int, formats: Sequence[str], timeout_s: float, serve: bool = False) -> int:
    """Run the whole pipeline on generated samples and print one line per scored result (with `serve`, then
    keep it and the dashboard running until Ctrl-C)."""
    from streams.cli.demo import run_demo

    return asyncio.run(run_demo(settings, count, formats, timeout_s, serve))


def evaluate(root: Sequence[Path], text_only: bool, as_json: bool) -> int:
    """Print the accuracy table (or JSON) of detect + local extraction against the truth files."""
    from tools.eval_report import format_report, report_to_json
    from tools.evaluate import run_eval

    report = run_eval(root, text_only=text_only)
    sys.stdout.write((report_to_json(report) if as_json else format_report(report)) + "\n")
    return 0


def simulate_learning(sellers: int, per_seller: int, seed: int, as_json: bool) -> int:
    """Print how key-field accuracy and the paid share move as each seller's first k invoices are reviewed."""
    from tools.learning import render_learning
    from tools.learning import simulate_learning as run

    sys.stdout.write(render_learning(run(sellers, per_seller, seed), sellers, per_seller, seed, as_json) + "\n")
    return 0


def bench(what: str, root: Path, repeat: int) -> int:
    """Print a micro-benchmark's figures."""
    if what == "detect":
        from tools.bench.detect import bench_figures, format_bench

        sys.stdout.write(format_bench(bench_figures(root, repeat)) + "\n")
    else:
        from tools.bench.score import bench_score

        sys.stdout.write(f"score: median {bench_score(20_000):.1f} us per invoice (target < 200 us)\n")
    return 0


def bench_records(settings: Settings, count: int, repeat: int) -> int:
    """Print the record-store and score benchmark figures."""
    from tools.bench.records import bench_figures, format_figures

    figures = bench_figures(settings.postgres_dsn.get_secret_value(), count=count, repeat=repeat)
    sys.stdout.write(format_figures(figures) + "\n")
    return 0


def bench_paid(count: int, rate: int, latency: float) -> int:
    """Paid extraction through the endpoint pool against the local fake: one endpoint, then two."""
    from tools.bench.paid_quota import bench_paid_scaling, format_report

    sys.stdout.write(format_report(asyncio.run(bench_paid_scaling(count, rate, latency))) + "\n")
    return 0


def bench_api(settings: Settings, rate: float, duration_s: float, connections: int, query: str,
              writes_per_s: float) -> int:
    """Fill Redis with a tenant's day of metrics, serve the API on loopback, drive it at `rate`; print figures."""
    from tools.bench.api import ApiBenchConfig, format_api_bench, run_api_bench

    config = ApiBenchConfig(rate=rate, duration_s=duration_s, connections=connections, query=query,
                            writes_per_s=writes_per_s)
    sys.stdout.write(format_api_bench(asyncio.run(run_api_bench(settings, config))) + "\n")
    return 0


def chaos(settings: Settings, scenarios: str, short: bool, count: int | None, runs: int, port_base: int,
          keep: bool) -> int:
    """Run the chaos suite on its own stack; exit code 0 when every scenario passed."""
    from dataclasses import replace

    from tools.chaos import SCENARIOS, ChaosConfig, ChaosStack, Tally, format_tally, run_chaos

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # our own upstream's reconnects: expected here
    names = list(SCENARIOS) if scenarios == "all" else [s.strip() for s in scenarios.split(",") if s.strip()]
    config = replace(ChaosConfig.short() if short else ChaosConfig(), keep=keep)
    config = replace(config, count=count) if count else config
    stack = ChaosStack(settings.state_dir.parent / "chaos", port_base)
    sys.stdout.write(f"chaos: {len(names)} scenario(s) x {runs} run(s), {config.count} invoices each, stack in "
                     f"{stack.state_dir}\n")

    def show(tally: Tally) -> None:
        sys.stdout.write(format_tally(tally) + "\n")
        sys.stdout.flush()

    results = asyncio.run(run_chaos(stack, names, config, runs, show))
    failed = sum(1 for r in results if not r.passed)
    sys.stdout.write(f"chaos: {len(results) - failed} of {len(results)} scenario runs passed\n")
    return 1 if failed else 0
