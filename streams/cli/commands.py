"""The commands: each registers its parser and holds a short handler."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from config.settings import Settings
from config.topics import STAGES
from streams.cli import actions, dlq, models, reviews, service

Sub = Any  # argparse's private _SubParsersAction


def _worker(sub: Sub) -> None:
    p = sub.add_parser("worker", help="run pipeline stages (an aiokafka worker; INVOICEFLOW_TRANSPORT=faust: Faust)")
    p.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated stages (default {','.join(STAGES)})")

    def run(args: argparse.Namespace) -> int:
        from streams.cli.worker import run_worker

        run_worker(Settings(), [s.strip() for s in args.stages.split(",") if s.strip()])
        return 0

    p.set_defaults(func=run)


def _publish(sub: Sub) -> None:
    p = sub.add_parser("publish", help="publish files or folders as InvoiceReceived events")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--tenant", default="default", help="tenant id (default: default)")
    p.add_argument("--inline", action="store_true", help="carry small documents inline (base64)")
    p.set_defaults(func=lambda a: actions.publish(Settings(), a.paths, a.tenant, a.inline))


def _tail(sub: Sub) -> None:
    p = sub.add_parser("tail", help="print the events of a topic (prefix applied) or a stage's input as JSON lines")
    p.add_argument("topic", help="a topic (invoices.scored, invoices.detect.dlq) or a stage (detect: its input)")
    p.add_argument("--dlq", action="store_true", help="with a stage: its dead-letter topic")
    p.add_argument("--headers", action="store_true", help="print each record's key and headers too")
    p.add_argument("--from-beginning", action="store_true", help="start at the oldest event")
    p.add_argument("--idle-exit", type=float, default=None, help="exit after this many idle seconds")
    p.set_defaults(func=lambda a: asyncio.run(actions.tail(Settings(), a.topic, a.dlq, a.headers, a.from_beginning,
                                                           a.idle_exit)))


def _samples(sub: Sub) -> None:
    p = sub.add_parser("samples", help="generate synthetic invoices with a truth.jsonl")
    p.add_argument("dir", type=Path)
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--formats", default="ubl", help="comma-separated: ubl,cii,hybrid_pdf,text_pdf,scan,scan_pdf,"
                   "fatturapa,fatturapa_p7m (and text_pdf_hard)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=lambda a: actions.samples(a.dir, a.count, a.formats.split(","), a.seed))


def _topics(sub: Sub) -> None:
    p = sub.add_parser("topics", help="list or create the pipeline's topics")
    p.add_argument("action", choices=["list", "create"])
    p.set_defaults(func=lambda a: asyncio.run(actions.topics(Settings(), a.action)))


def _metrics(sub: Sub) -> None:
    p = sub.add_parser("metrics", help="print per-tenant counters from Redis (since the start, or per window)")
    p.add_argument("--tenant", default=None, help="one tenant (default: every tenant; with --window: all together)")
    p.add_argument("--window", choices=["minute", "hour", "day"], default=None, help="figures per bucket instead")
    p.add_argument("--from", dest="start", default=None, help="with --window: epoch s or ISO 8601 (default: 60 back)")
    p.add_argument("--to", dest="end", default=None, help="with --window: excluded end (default: now)")
    p.add_argument("--accuracy", action="store_true", help="field accuracy per extractor and vendor, from reviews")
    p.add_argument("--json", action="store_true", help="with --accuracy: the API's JSON instead of a table")
    p.set_defaults(func=lambda a: asyncio.run(reviews.print_accuracy(Settings(), a.tenant, a.json)) if a.accuracy
                   else _print_json(asyncio.run(
                       actions.metrics(Settings(), a.tenant) if a.window is None
                       else actions.metrics_window(Settings(), a.tenant, a.window, a.start, a.end))))


def _schemas(sub: Sub) -> None:
    p = sub.add_parser("schemas", help="export JSON Schemas and the AsyncAPI document")
    p.add_argument("action", choices=["export"])
    p.add_argument("dir", type=Path)
    p.set_defaults(func=lambda a: actions.export(Settings(), a.dir))


def _demo(sub: Sub) -> None:
    p = sub.add_parser("demo", help="run a worker, publish samples, print each scored result (make run)")
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--formats", default="ubl", help="sample formats to publish")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--serve", action="store_true",
                   help="then keep the worker and the API service running, print the dashboard's address, "
                   "until Ctrl-C")
    p.set_defaults(func=lambda a: actions.demo(Settings(), a.count, a.formats.split(","), a.timeout, a.serve))


def _vendors(sub: Sub) -> None:
    p = sub.add_parser("vendors", help="import a tenant's vendor master (CSV vat_id,name,iban or JSON lines)")
    p.add_argument("action", choices=["import"])
    p.add_argument("file", type=Path)
    p.add_argument("--tenant", required=True)
    p.set_defaults(func=lambda a: asyncio.run(actions.import_vendors(Settings(), a.file, a.tenant)))


def _index(sub: Sub) -> None:
    p = sub.add_parser("index", help="rebuild the Redis dedupe index from the PostgreSQL records (after Redis loss)")
    p.add_argument("action", choices=["rebuild"])
    p.add_argument("--tenant", default=None, help="only this tenant (default: every tenant)")
    p.set_defaults(func=lambda a: asyncio.run(actions.rebuild_index(Settings(), a.tenant)))


def _eval(sub: Sub) -> None:
    p = sub.add_parser("eval", help="accuracy of detect + local extract against every truth.jsonl under DIR")
    p.add_argument("dir", type=Path, nargs="+", help="one or more corpus folders, evaluated into one table")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--text-only", action="store_true", help="ignore embedded XML in hybrid PDFs, read their text")
    p.set_defaults(func=lambda a: actions.evaluate(a.dir, a.text_only, a.json))


def _simulate(sub: Sub) -> None:
    p = sub.add_parser("simulate", help="simulations on generated documents (learning: vendor layouts from reviews)")
    kinds = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    d = kinds.add_parser("learning", help="key-field accuracy, paid share, wrong acceptances after k reviews a seller")
    d.add_argument("--sellers", type=int, default=28)
    d.add_argument("--invoices-per-seller", type=int, default=10)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--json", action="store_true", help="one JSON object per k")
    d.set_defaults(func=lambda a: actions.simulate_learning(a.sellers, a.invoices_per_seller, a.seed, a.json))


def _bench(sub: Sub) -> None:
    p = sub.add_parser("bench", help="benchmarks: e2e (the pipeline end to end), detect, score, records, paid, api")
    kinds = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    d = kinds.add_parser("detect", help="detect + local extraction time per document, by format")
    d.add_argument("dir", type=Path, nargs="?", default=Path("../shared/corpus"))
    d.add_argument("--repeat", type=int, default=5)
    d.set_defaults(func=lambda a: actions.bench(a.what, a.dir, a.repeat))
    kinds.add_parser("score", help="median time of the pure score function").set_defaults(
        func=lambda a: actions.bench(a.what, Path(), 1))
    r = kinds.add_parser("records", help="rows/s: batch record writer vs one INSERT per row; score time")
    r.add_argument("--count", type=int, default=2000, help="events per writer and repetition")
    r.add_argument("--repeat", type=int, default=5)
    r.set_defaults(func=lambda a: actions.bench_records(Settings(), a.count, a.repeat))
    q = kinds.add_parser("paid", help="paid extraction against the local fake service: quota use, 429s, latency")
    q.add_argument("--count", type=int, default=1000, help="scans to analyze")
    q.add_argument("--rate", type=int, default=15, help="analyze requests/s the fake allows per key")
    q.add_argument("--latency", type=float, default=2.0, help="seconds the fake takes per document")
    q.set_defaults(func=lambda a: actions.bench_paid(a.count, a.rate, a.latency))
    _bench_e2e(kinds)
    _bench_api(kinds)


def _bench_api(kinds: Sub) -> None:
    p = kinds.add_parser("api", help="GET /api/v1/metrics at a fixed rate against a local service: p50/p95/p99")
    p.add_argument("--rate", type=float, default=1000.0, help="requests per second (default 1000)")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of load (default 20)")
    p.add_argument("--connections", type=int, default=32, help="keep-alive connections of the load process")
    p.add_argument("--query", default="window=minute", help="query string of each request (default: last hour)")
    p.add_argument("--writes", type=float, default=5.0, help="batches/s written to the tenant meanwhile (default 5)")
    p.set_defaults(func=lambda a: actions.bench_api(Settings(), a.rate, a.duration, a.connections, a.query,
                                                    a.writes))


def _bench_e2e(kinds: Sub) -> None:
    p = kinds.add_parser("e2e", help="the pipeline end to end on the local stack, against this machine's limit")
    p.add_argument("--count", type=int, default=None, help="invoices (default 20000; --quick: 1000)")
    p.add_argument("--mix", default=None, help="e.g. einvoice=0.6,text=0.3,scan=0.1 or ubl=1 (default einvoice)")
    p.add_argument("--rate", type=float, default=None, help="publish at R invoices/s (default: as fast as possible)")
    p.add_argument("--window", type=int, default=None, metavar="W",
                   help="as fast as possible = at most W in flight (default 2000); 0: all at once (backlog)")
    p.add_argument("--workers", type=int, default=None, help="worker processes, one consumer group (default 2)")
    p.add_argument("--split", action="store_true", help="balance the stages across the workers by CPU cost")
    p.add_argument("--paid-endpoints", type=int, default=1, help="fake paid resources (each its own quota)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (documents are cached per seed)")
    p.add_argument("--cache", type=Path, default=None, help="document cache (default: beside the state dir)")
    p.add_argument("--keep", action="store_true", help="keep the run's topics, Redis keys and rows")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="write every figure as JSON")
    p.add_argument("--plot", type=Path, default=None, metavar="FILE", help="write throughput and latency (PNG)")
    p.add_argument("--quick", action="store_true", help="~30 s smoke run: 1000 UBL/CII invoices, 1 worker")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    def run(args: argparse.Namespace) -> int:
        from tools.bench.stages import config_from_args, run

        return run(Settings(), config_from_args(args))

    p.set_defaults(func=run)


def _chaos(sub: Sub) -> None:
    p = sub.add_parser("chaos", help="break its own stack under load; count lost, doubled, mismatched invoices")
    p.add_argument("--scenarios", default="all", help="comma-separated: kill,broker,redis,redis-frozen,postgres,"
                   "hostile (default all)")
    p.add_argument("--short", action="store_true", help="the test-sized version: seconds-long outages")
    p.add_argument("--count", type=int, default=None, help="invoices per scenario (default 3000; --short: 240)")
    p.add_argument("--runs", type=int, default=1, help="run the scenarios this many times in a row")
    p.add_argument("--port-base", type=int, default=19000, help="the chaos stack's ports: +92 Kafka, +379 Redis, "
                   "+432 PostgreSQL")
    p.add_argument("--keep", action="store_true", help="keep each scenario's topics, keys and rows")
    p.set_defaults(func=lambda a: actions.chaos(Settings(), a.scenarios, a.short, a.count, a.runs, a.port_base,
                                                a.keep))


def _print_json(obj: object) -> int:
    sys.stdout.write(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
    return 0


REGISTRY: tuple[Callable[[Sub], None], ...] = (
    _worker, _publish, _tail, _samples, _topics, _metrics, _schemas, _vendors, _index, _eval, _simulate, _bench,
    dlq.register,
    dlq.register_alias, _demo, _chaos, service.register_serve, service.register_tokens,
    models.register_train, models.register_models, reviews.register_review, reviews.register_policy,
)
