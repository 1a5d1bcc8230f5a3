"""Benchmark of paid extraction against the local fake: is the quota used fully, and never exceeded?

`bench_paid` starts the fake with one key per endpoint, each key limited on its own like a separate resource
(by default in its own process, as a real service is: in-process, the client's event-loop stalls would also
delay the fake's clock; the monotonic clock is system-wide, so the fake's log says when requests arrived).
It pushes `n_docs` documents through the real pool, extractor and SDK (no Kafka: the pipeline variant lives
with the extract agent), keeping as many in flight as the pool allows, and reports the achieved analyze rate
against the configured one, 429s received, and per-document latency: from the accepted analyze to the result
in hand (`latency_*`), and from the call to the result, queueing for quota included (`e2e_*`).
`bench_paid_scaling` runs one and two endpoints and gives the ratio. The fake lives in `infra/` (not
installed): run this from the repository root.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr

from streams.azure._sdk import ExtractorConfig
from streams.azure.client import AzureExtractor
from streams.azure.operations import MemoryOperationStore
from streams.azure.pool import EndpointConfig, EndpointPool

_MODEL = "prebuilt-invoice"
_KEY = "bench-key"  # the fake's, not a secret
_REPO = Path(__file__).resolve().parents[2]


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    ordered, best, j = sorted(times), 0, 0
    for i, t in enumerate(ordered):
        while ordered[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def _tightest_span(times: Sequence[float], count: int) -> float:
    """The shortest time holding `count` consecutive calls: over 1 s means no 1 s window held that many."""
    ordered = sorted(times)
    spans = [b - a for a, b in zip(ordered, ordered[count - 1 :], strict=False)]
    return min(spans) if spans else float("inf")


def _document(i: int) -> tuple[bytes, str]:
    data = b"\x89PNG\r\n\x1a\n" + f"bench scan {i}".encode()
    return data, hashlib.sha256(data).hexdigest()


class _InlineFake:
    """The fake in this process: same event loop as the client (its stalls become the fake's)."""

    def __init__(self, keys: list[str], rate: int, get_rate: int, latency: float) -> None:
        from tools.fake_azure import FakeAzureDI, FakeConfig  # a dev tool, not a dependency

        config = FakeConfig(keys=tuple(keys), analyze_rps=rate, get_rps=get_rate, latency_s=latency)
        self._fake = FakeAzureDI(config)

    async def start(self) -> str:
        return await self._fake.start()

    async def records(self) -> list[Any]:
        return list(self._fake.requests)

    async def stop(self) -> None:
        await self._fake.stop()


class _ProcessFake:
    """The fake as its own process (`python -m tools.fake_azure`), like a remote service."""

    def __init__(self, keys: list[str], rate: int, get_rate: int, latency: float) -> None:
        self._args = ["--rate", str(rate), "--get-rate", str(get_rate), "--latency", str(latency)]
        self._args += [arg for key in keys for arg in ("--key", key)]
        self._proc: asyncio.subprocess.Process | None = None
        self._url = ""

    async def start(self) -> str:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tools.fake_azure", "--port", "0", *self._args,
            stdout=asyncio.subprocess.PIPE, cwd=_REPO,
        )  # fmt: skip
        assert self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), 30)
        self._url = line.decode().strip().rsplit(" ", 1)[-1]
        return self._url

    async def records(self) -> list[Any]:
        from tools.fake_azure import RequestRecord

        async with aiohttp.ClientSession() as http, http.get(f"{self._url}/_fake/requests") as resp:
            return [RequestRecord(**r) for r in await resp.json()]  # monotonic clock: shared on Linux

    async def stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
            await self._proc.wait()


async def bench_paid(
    n_docs: int = 1000,
    endpoints: int = 1,
    rate: int = 15,
    latency: float = 2.0,
    *,
    get_rate: int = 50,
    max_in_flight: int = 48,
    headroom: float = 0.97,
    poll_interval_s: float = 1.0,
    fake_in_process: bool = False,
) -> dict[str, float]:
    """Run `n_docs` through `endpoints` fake resources at `rate` analyze/s each; returns the figures."""
    keys = [f"{_KEY}-{i}" for i in range(endpoints)]  # one resource per key: the fake limits each key apart
    fake = (_InlineFake if fake_in_process else _ProcessFake)(keys, rate, get_rate, latency)
    done_at: dict[str, float] = {}
    e2e: list[float] = []
    window = asyncio.Semaphore(endpoints * max_in_flight)

    async def one(ex: AzureExtractor, i: int) -> None:
        data, sha = _document(i)
        async with window:
            outcome = await ex.analyze(data, sha256=sha, model_id=_MODEL, tenant_id="bench", budget_s=600)
        done_at[sha] = time.monotonic()
        e2e.append(outcome.elapsed_s)

    try:
        url = await fake.start()
        configs = [
            EndpointConfig(f"ep{i}", url, SecretStr(key), rate, get_rate, max_in_flight) for i, key in enumerate(keys)
        ]
        config = ExtractorConfig(first_poll_delay_s=poll_interval_s, poll_interval_s=poll_interval_s)
        started = time.monotonic()
        async with AzureExtractor(EndpointPool(configs, headroom=headroom), MemoryOperationStore(), config) as ex:
            await asyncio.gather(*(one(ex, i) for i in range(n_docs)))
        wall = time.monotonic() - started
        records = await fake.records()
    finally:
        await fake.stop()
    per_endpoint = [[r for r in records if r.key == key] for key in keys]
    return _report(per_endpoint, done_at, e2e, wall, n_docs, rate)


def _report(
    per_endpoint: Sequence[Sequence[Any]], done_at: dict[str, float], e2e: list[float], wall: float, n: int, rate: int
) -> dict[str, float]:
    requests = [r for records in per_endpoint for r in records]
    accepted_by_endpoint = [[r for r in records if r.kind == "analyze" and r.status == 202] for records in per_endpoint]
    accepted = [r for rs in accepted_by_endpoint for r in rs]
    k = len(per_endpoint)
    times = [r.t for r in accepted]
    span = max(times) - min(times) if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / span if span > 0 else 0.0
    latency = [done_at[r.sha256] - r.t for r in accepted if r.sha256 in done_at]
    statuses = Counter(r.status for r in requests)
    gets = sum(1 for r in requests if r.kind == "get")
    return {
        "docs": float(n),
        "endpoints": float(k),
        "configured_rate": float(rate * k),
        "achieved_rate": round(achieved, 3),
        "rate_ratio": round(achieved / (rate * k), 4),
        "max_analyze_in_any_1s_per_endpoint": float(
            max(_max_in_window([r.t for r in rs]) for rs in accepted_by_endpoint)
        ),
        "tightest_span_of_rate_plus_1_analyses_s": round(
            min(_tightest_span([r.t for r in rs], rate + 1) for rs in accepted_by_endpoint), 4
        ),
        "http_429": float(statuses[429]),
        "http_5xx": float(sum(v for s, v in statuses.items() if s >= 500)),
        "duplicate_analyses": float(len(accepted) - len({r.sha256 for r in accepted})),
        "gets_per_doc": round(gets / max(1, n), 3),
        "latency_p50_s": round(_percentile(latency, 0.50), 3),
        "latency_p99_s": round(_percentile(latency, 0.99), 3),
        "e2e_p50_s": round(_percentile(e2e, 0.50), 3),
        "e2e_p99_s": round(_percentile(e2e, 0.99), 3),
        "wall_s": round(wall, 2),
    }


async def bench_paid_scaling(n_docs: int = 1000, rate: int = 15, latency: float = 2.0) -> dict[str, Any]:
    """One endpoint, then two: each run's figures and the ratio of their achieved analyze rates."""
    one = await bench_paid(n_docs, 1, rate, latency)
    two = await bench_paid(n_docs, 2, rate, latency)
    ratio = two["achieved_rate"] / one["achieved_rate"] if one["achieved_rate"] else 0.0
    return {"one_endpoint": one, "two_endpoints": two, "two_to_one_rate_ratio": round(ratio, 3)}


def format_report(figures: dict[str, Any]) -> str:
    """Figures as aligned `name value` lines (nested runs indented), for the CLI to print."""
    lines = []
    for name, value in figures.items():
        if isinstance(value, dict):
            lines.append(f"{name}:")
            lines.extend(f"  {k:<38} {v:g}" for k, v in value.items())
        else:
            lines.append(f"{name:<40} {value:g}")
    return "\n".join(lines)
