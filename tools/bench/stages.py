"""The stage-side half of `invoiceflow bench e2e`: the generator, the pure stage functions, the vendor master.

`tools.bench` is plumbing and may not import `agents/`; this module (in the CLI layer, the one place that
may) builds its `BenchHooks`. Ceiling (b) times each stage's pure work per invoice with the thread's CPU
clock, exactly the calls a worker makes between decoding and encoding: detect, its event and the memo of the
XML it parsed; the extract route (taking that parse from the memo, as a worker running both stages does), the
local reader and its event; score and its event; the aggregate counters. Decoding and encoding are timed
apart (they are the machinery's cost).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import tools.samples
from agents.aggregate import aggregate
from agents.context import XmlMemo
from agents.detect import DetectLimits, detect, detected_event, remember_parsed
from agents.extract import LocalExtraction, detection_of, extract_local, extracted_event, local_route
from agents.paid import Extraction
from agents.score import ScoreContext, score_event
from agents.vendors import vendor_facts
from config.policy import TenantPolicy, load_policy_book
from config.settings import Settings
from schemas import DocumentDetected, InvoiceExtracted, InvoiceReceived, InvoiceScored, Route
from streams.codecs import decode, encode
from streams.publisher import received_for_file
from streams.recent import Recent
from streams.sinks.redis import RedisStores, connect_redis
from tools.bench import (
    DEFAULT_COUNT,
    DEFAULT_PURE_SAMPLE,
    DEFAULT_WINDOW,
    QUICK_COUNT,
    QUICK_MIX,
    BenchConfig,
    BenchHooks,
    PureCost,
    parse_mix,
    run_bench,
)
from tools.bench._config import Rows
from tools.samples import generate_samples

# a fixed "today" for the generator, so cached documents are byte-identical from one day to the next
BASE_DATE = date(2025, 6, 30)
BENCH_TENANT = "bench"
DEFAULT_WORKERS = 2
QUICK_PURE_SAMPLE = 200
PURE_REPEAT = 3


def generate(out_dir: Path, count: int, mix: Mapping[str, float], seed: int) -> Rows:
    """The project's sample generator, with a fixed base date."""
    return generate_samples(out_dir, count, formats=dict(mix), seed=seed, base_date=BASE_DATE)


def generator_version() -> str:
    """A digest of the generator's source: its output changes only when this does."""
    digest = hashlib.sha256()
    for path in sorted(Path(tools.samples.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def measure_pure(docs: Sequence[tuple[Path, str]]) -> PureCost:
    """CPU seconds per invoice of each stage's pure function over `docs` (no Kafka, no I/O timed).

    Each document runs `PURE_REPEAT` times and its fastest run counts, stage by stage: the machine is shared
    (other processes, sibling hyperthreads), and the least disturbed run is the closest to the work itself,
    so the ceiling this gives is, if anything, too high, never flattering to the pipeline.
    """
    settings = Settings()
    limits = DetectLimits.from_settings(settings)
    policy = load_policy_book(settings.policy_file).default
    spent = dict.fromkeys(("detect", "extract", "score", "aggregate", "codec"), 0.0)
    for path, _fmt in docs:
        content = path.read_bytes()
        received = received_for_file(path, BENCH_TENANT, settings)
        runs = [_time_stages(received, content, limits, policy) for _ in range(PURE_REPEAT)]
        for i, stage in enumerate(spent):
            spent[stage] += min(run[i] for run in runs)
    n = max(1, len(docs))
    codec = spent.pop("codec")
    return PureCost({s: v / n for s, v in spent.items()}, codec / n, len(docs))


def _time_stages(received: InvoiceReceived, content: bytes, limits: DetectLimits,
                 policy: TenantPolicy) -> tuple[float, ...]:
    """Thread CPU seconds of detect, extract, score, aggregate and the codec round trip for one document."""
    clock: Callable[[], float] = time.thread_time
    memo: XmlMemo = Recent(1 << 30, lambda parsed: parsed.size)
    t0 = clock()
    detection = detect(content, limits)
    detected = detected_event(received, detection, None, datetime.now(UTC))
    if detection.parsed is not None:
        remember_parsed(memo, [detected], detection.parsed)
    t1 = clock()
    route = local_route(detected)
    parsed = memo.take(detected.event_id) if route is Route.STRUCTURED else None
    local = (extract_local(detection_of(detected, route, content, limits, parsed), content) if route is not None
             else LocalExtraction("none", None))
    got = Extraction(local.extractor, local.invoice, local.reasons, route=local.route)
    extracted = extracted_event(detected, got, datetime.now(UTC))
    t2 = clock()
    scored = score_event(extracted, policy, ScoreContext(vendor_known=True), datetime.now(UTC))
    t3 = clock()
    aggregate(scored)
    t4 = clock()
    _round_trip(received, detected, extracted, scored)
    t5 = clock()
    return t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4


def _round_trip(received: InvoiceReceived, detected: DocumentDetected, extracted: InvoiceExtracted,
                scored: InvoiceScored) -> None:
    """What the machinery adds per invoice: each event encoded once and decoded once."""
    for model, event in ((InvoiceReceived, received), (DocumentDetected, detected),
                         (InvoiceExtracted, extracted), (InvoiceScored, scored)):
        decode(model, encode(event))


async def seed_vendors(prefix: str, tenant: str, rows: Rows) -> int:
    """Import every generated seller as the tenant's vendor master (as `invoiceflow vendors import` does)."""
    settings = Settings()
    facts = vendor_facts(tenant, iter(rows))
    client = connect_redis(settings.redis_url.get_secret_value())
    try:
        await RedisStores(client, prefix).learn_vendors(facts)
    finally:
        await client.aclose()
    return len(facts)


def hooks() -> BenchHooks:
    """The stage code the benchmark borrows."""
    return BenchHooks(generate=generate, generator_version=generator_version(), measure_pure=measure_pure,
                      seed_vendors=seed_vendors)


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """The run's configuration from the command line; `--quick` changes the defaults, not explicit options."""
    quick = bool(args.quick)
    return BenchConfig(
        count=args.count or (QUICK_COUNT if quick else DEFAULT_COUNT),
        mix=parse_mix(args.mix or (QUICK_MIX if quick else "einvoice")),
        rate=args.rate, window=DEFAULT_WINDOW if args.window is None else args.window,
        workers=args.workers or (1 if quick else DEFAULT_WORKERS), split=args.split, paid_endpoints=args.paid_endpoints,
        seed=args.seed, cache_dir=args.cache, keep=args.keep, json_path=args.json, plot_path=args.plot,
        pure_sample=QUICK_PURE_SAMPLE if quick else DEFAULT_PURE_SAMPLE, progress=not args.no_progress,
    )


def run(settings: Settings, config: BenchConfig) -> int:
    """Run the benchmark; exit code 0 when every invoice was scored."""
    figures = asyncio.run(run_bench(settings, config, hooks()))
    return 0 if figures.complete else 1
