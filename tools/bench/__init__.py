"""`invoiceflow bench e2e`: the pipeline end to end on the real stack, against this machine's own limit.

One run generates (or reuses) distinct sample documents, measures the CPU cost of the pure stage functions,
drives real worker processes through a fresh topic prefix and consumer group, measures latency, throughput,
per-stage rates and lag, CPU and memory of every process, cost and touchless rate, then runs a raw aiokafka
chain on the same broker and payloads, and reports our throughput as a share of min(raw chain, cores / CPU
per invoice). It lives in `streams/` and borrows the stage code through `BenchHooks` from the CLI layer.
"""

from tools.bench._config import (
    DEFAULT_COUNT,
    DEFAULT_PURE_SAMPLE,
    DEFAULT_WINDOW,
    MIX_CLASSES,
    PAID_FORMATS,
    QUICK_COUNT,
    QUICK_MIX,
    BenchConfig,
    BenchHooks,
    PureCost,
    parse_mix,
)
from tools.bench._figures import Figures, as_json
from tools.bench._paid import PaidFake, start_fake
from tools.bench._procs import plan_stages, stop_children
from tools.bench._run import run_bench
from tools.bench._table import format_table

__all__ = [
    "DEFAULT_COUNT",
    "DEFAULT_PURE_SAMPLE",
    "DEFAULT_WINDOW",
    "MIX_CLASSES",
    "PAID_FORMATS",
    "QUICK_COUNT",
    "QUICK_MIX",
    "BenchConfig",
    "BenchHooks",
    "Figures",
    "PaidFake",
    "PureCost",
    "as_json",
    "format_table",
    "parse_mix",
    "plan_stages",
    "run_bench",
    "start_fake",
    "stop_children",
]
