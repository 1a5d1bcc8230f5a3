"""`invoiceflow bench api`: the metrics API at a fixed request rate, on loopback, against a realistic tenant.

It fills Redis (in a namespace of its own) with a day of one tenant's metrics (20 invoices a minute for 1,440
minutes, with the mix of decisions, formats, routes, reasons, latencies, paid pages and dead letters a real
tenant shows), makes that tenant a token, starts `invoiceflow serve` as a child process on a free loopback
port, and drives `GET /api/v1/metrics` from this process at a fixed rate over keep-alive connections (an
open loop: request i leaves at start + i / rate whether or not earlier answers came back, so a slow answer
cannot slow the load down and hide itself), while the tenant's aggregate stage keeps writing the current
minute (5 batches a second by default), so answers are made again as they would be in production. It prints
the latency every answer took (send to last byte), how late the sender itself ran against its schedule (if
that is large, the figures say more about this process than about the service), the achieved rate, the
service's own view (its Prometheus histogram) and the CPU the service process used. Figures are printed,
never asserted. Everything it made is removed after.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import signal
import socket
import statistics
import sys
import time
import uuid
from asyncio.subprocess import Process
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

from config.settings import Settings
from streams.counters import (
    COST_MICRO_USD,
    DEAD_LETTERS,
    LATENCY_SUM_MS,
    PAID_PAGES,
    SCORED,
    TOUCHLESS,
    WINDOWS,
    by_field,
    dead_letter_field,
    latency_field,
)
from streams.sinks import CounterDelta
from streams.sinks.postgres import open_pool
from streams.sinks.redis import RedisStores, connect_redis
from streams.sinks.tokens import TokenStore

_REPO = Path(__file__).resolve().parents[1]
_MIX = (  # (format, route, extractor, share)
    ("ubl", "structured", "ubl", 0.35), ("cii", "structured", "cii", 0.2), ("hybrid_pdf", "structured", "cii", 0.1),
    ("text_pdf", "text", "text", 0.25), ("scanned_pdf", "ocr", "azure:prebuilt-invoice", 0.1),
)
_REASONS = ("new_vendor", "low_confidence", "amount_mismatch", "missing_vat_id", "iban_changed", "duplicate")


@dataclass(frozen=True, slots=True)
class ApiBenchConfig:
    """What to run."""

    rate: float = 1000.0
    duration_s: float = 20.0
    connections: int = 32
    query: str = "window=minute"
    warmup_s: float = 2.0
    minutes: int = 1440
    per_minute: int = 20
    writes_per_s: float = 5.0
    """Batches the tenant's aggregate stage writes meanwhile (each changes the current bucket: the answer is
    made again, with that bucket read again, on the next request)."""


@dataclass(frozen=True, slots=True)
class ApiBenchResult:
    """What it measured (latencies in ms)."""

    config: ApiBenchConfig
    sent: int
    ok: int
    errors: int
    elapsed_s: float
    latencies_ms: tuple[float, ...]
    lag_ms: tuple[float, ...]
    server_p50_ms: float | None
    server_p99_ms: float | None
    service_cpu: float
    body_bytes: int
    buckets: int

    @property
    def achieved_rps(self) -> float:
        """Answers per second over the measured span."""
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0


def tenant_day(tenant: str, now_s: int, minutes: int, per_minute: int, seed: int = 0) -> list[CounterDelta]:
    """A day (or `minutes`) of a tenant's scored invoices as counter deltas, one minute after another."""
    rng = random.Random(seed)
    minute_of = WINDOWS["minute"].start
    deltas = []
    for m in range(minutes):
        minute = minute_of(now_s) - m * 60
        for k in range(per_minute):
            fmt, route, extractor, _ = rng.choices(_MIX, weights=[x[3] for x in _MIX])[0]
            decision = rng.choices(("auto_approve", "review", "reject"), weights=(0.86, 0.11, 0.03))[0]
            latency = int(rng.lognormvariate(math.log(160), 0.7)) + (2000 if route == "ocr" else 0)
            fields = [(SCORED, 1), (by_field("decision", decision), 1), (by_field("format", fmt), 1),
                      (by_field("route", route), 1), (by_field("extractor", extractor), 1),
                      (latency_field(latency), 1), (LATENCY_SUM_MS, latency)]
            if decision == "auto_approve":
                fields.append((TOUCHLESS, 1))
            else:
                fields += [(by_field("reason", r), 1) for r in rng.sample(_REASONS, rng.randint(1, 2))]
            if route == "ocr":
                fields += [(PAID_PAGES, 1), (COST_MICRO_USD, 10_000)]
            deltas.append(CounterDelta(f"bench-{m}-{k}", tenant, minute, tuple(fields)))
        if m % 30 == 0:  # a dead letter now and then
            deltas.append(CounterDelta(f"bench-dl-{m}", tenant, minute, (
                (DEAD_LETTERS, 1), (dead_letter_field(rng.choice(("detect", "extract")), "document_missing"), 1))))
    return deltas


async def _live_writes(stores: RedisStores, tenant: str, per_s: float) -> None:
    """Batches of 20 new invoices into the current minute, `per_s` times a second, until cancelled."""
    if per_s <= 0:
        return
    n = 0
    while True:
        now = int(time.time())
        batch = [CounterDelta(f"live-{n}-{k}", tenant, WINDOWS["minute"].start(now), (
            (SCORED, 1), (TOUCHLESS, 1), (by_field("decision", "auto_approve"), 1), (latency_field(150), 1),
            (LATENCY_SUM_MS, 150))) for k in range(20)]
        await stores.apply(batch)
        n += 1
        await asyncio.sleep(1 / per_s)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_ready(session: aiohttp.ClientSession, url: str, headers: dict[str, str], proc: Process) -> bytes:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"the service exited with {proc.returncode}")
        try:
            async with session.get(url, headers=headers) as r:
                if r.status == 200:
                    return await r.read()
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the service did not answer within 30 s")


async def _drive(session: aiohttp.ClientSession, url: str, headers: dict[str, str], rate: float, seconds: float,
                 ) -> tuple[list[float], list[float], int, float]:
    """Requests at `rate` for `seconds` (open loop); (latencies ms, sender lag ms, errors, elapsed s)."""
    latencies: list[float] = []
    lags: list[float] = []
    errors = 0

    async def one(due: float) -> None:
        nonlocal errors
        start = time.perf_counter()
        lags.append((start - due) * 1000)
        try:
            async with session.get(url, headers=headers) as r:
                await r.read()
                ok = r.status == 200
        except aiohttp.ClientError:
            ok = False
        if ok:
            latencies.append((time.perf_counter() - start) * 1000)
        else:
            errors += 1

    total = int(rate * seconds)
    tasks: set[asyncio.Task[None]] = set()
    begin = time.perf_counter()
    for i in range(total):
        due = begin + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(one(due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return latencies, lags, errors, time.perf_counter() - begin


async def _server_quantiles(session: aiohttp.ClientSession, base: str) -> dict[float, float]:
    """Cumulative counts of the service's request histogram for the metrics route, by upper bound (s)."""
    async with session.get(f"{base}/metrics") as r:
        text = await r.text()
    out: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("invoiceflow_api_request_seconds_bucket{") and 'route="/api/v1/metrics"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out[float(le)] = float(line.rsplit(" ", 1)[1])
    return out


def _quantile_from(before: dict[float, float], after: dict[float, float], q: float) -> float | None:
    bounds = sorted(after)
    cumulative = [after[b] - before.get(b, 0.0) for b in bounds]
    if not cumulative or cumulative[-1] <= 0:
        return None
    rank, low, seen = q * cumulative[-1], 0.0, 0.0
    for bound, cum in zip(bounds, cumulative, strict=True):
        if cum >= rank:
            if math.isinf(bound):
                return low * 1000
            return (low + (bound - low) * (rank - seen) / max(cum - seen, 1e-9)) * 1000
        low, seen = bound, cum
    return None


async def run_api_bench(settings: Settings, config: ApiBenchConfig) -> ApiBenchResult:
    """Fill, serve, drive, measure, clean up."""
    namespace, tenant = f"benchapi-{uuid.uuid4().hex[:8]}.", "bench-tenant"
    client = connect_redis(settings.redis_url.get_secret_value())
    stores = RedisStores(client, namespace)
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
    tokens = TokenStore(pool)
    info, token = await tokens.add(tenant, "bench api (deleted after the run)")
    proc: Process | None = None
    try:
        deltas = tenant_day(tenant, int(time.time()), config.minutes, config.per_minute)
        for i in range(0, len(deltas), 500):
            await stores.apply(deltas[i:i + 500])
        port = _free_port()
        env = {**os.environ, "INVOICEFLOW_TOPIC_PREFIX": namespace, "INVOICEFLOW_SERVICE_HOST": "127.0.0.1",
               "INVOICEFLOW_SERVICE_PORT": str(port)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "streams.cli", "serve", env=env, cwd=_REPO, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        url, headers = f"{base}/api/v1/metrics?{config.query}", {"Authorization": f"Bearer {token}"}
        connector = aiohttp.TCPConnector(limit=config.connections, keepalive_timeout=60)
        async with aiohttp.ClientSession(connector=connector) as session:
            body = await _wait_ready(session, url, headers, proc)
            await _drive(session, url, headers, config.rate, config.warmup_s)
            before = await _server_quantiles(session, base)
            service = psutil.Process(proc.pid)
            cpu_before = sum(service.cpu_times()[:2])
            writer = asyncio.create_task(_live_writes(stores, tenant, config.writes_per_s))
            try:
                latencies, lags, errors, elapsed = await _drive(session, url, headers, config.rate,
                                                                config.duration_s)
            finally:
                writer.cancel()
            cpu = (sum(service.cpu_times()[:2]) - cpu_before) / elapsed
            after = await _server_quantiles(session, base)
        return ApiBenchResult(
            config, int(config.rate * config.duration_s), len(latencies), errors, elapsed, tuple(latencies),
            tuple(lags), _quantile_from(before, after, 0.5), _quantile_from(before, after, 0.99), cpu, len(body),
            body.count(b'"start"'))
    finally:
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await tokens.delete(info.token_id)
        await pool.close()
        async for key in client.scan_iter(match=f"invoiceflow:{namespace}*", count=1000):
            await client.unlink(key)
        await client.aclose()


def _pct(values: tuple[float, ...], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 1000) - 1] if len(values) > 1 else (
        values[0] if values else float("nan"))


def format_api_bench(r: ApiBenchResult) -> str:
    """The figures, one finding a line."""
    c = r.config
    lat, lag = r.latencies_ms, r.lag_ms
    server = (f"p50 {r.server_p50_ms:.2f} ms, p99 {r.server_p99_ms:.2f} ms" if r.server_p50_ms is not None
              and r.server_p99_ms is not None else "n/a")
    return "\n".join([
        f"api bench: GET /api/v1/metrics?{c.query} (tenant token; {r.buckets} buckets, {r.body_bytes:,} bytes an "
        f"answer; tables: {c.minutes:,} minutes x {c.per_minute} invoices), {c.rate:g} req/s for {c.duration_s:g} s "
        f"over {c.connections} keep-alive connections, after {c.warmup_s:g} s of warm-up; meanwhile "
        f"{c.writes_per_s:g} batches/s of the tenant's aggregate stage change the current bucket",
        f"  sent {r.sent:,}, answered 200: {r.ok:,}, errors {r.errors}; achieved {r.achieved_rps:,.1f} req/s",
        f"  latency (send to last byte): p50 {_pct(lat, 0.5):.2f} ms, p95 {_pct(lat, 0.95):.2f} ms, "
        f"p99 {_pct(lat, 0.99):.2f} ms, max {max(lat, default=float('nan')):.2f} ms (target p99 < 5 ms)",
        f"  sender lag against the schedule: p50 {_pct(lag, 0.5):.2f} ms, p99 {_pct(lag, 0.99):.2f} ms",
        f"  service's own histogram (in the app, bucket estimates): {server}",
        f"  service process CPU: {r.service_cpu * 100:.0f}% of one core",
    ])
