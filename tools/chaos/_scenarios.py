"""The scenarios: what breaks, for how long, while invoices flow.

Each scenario starts its workers on the chaos stack with a fresh topic prefix, consumer group and two
tenants, publishes its invoices at a steady rate, breaks something once publishing is under way, puts it
back, waits for the pipeline to drain and counts (`_tally`). The full suite uses the outage lengths of the
issue (broker 90 s, Redis 30 s, PostgreSQL 60 s); `short` runs the same scenarios in seconds for `make test`,
with the workers' producer request timeout cut to 5 s so that a short broker outage still outlives it (that
is what used to lose invoices silently).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings
from streams.admin import ensure_topics, wait_for_workers
from tools.bench._housekeeping import delete_redis_keys, delete_rows, delete_topics
from tools.chaos._load import Message, Upstream, documents, hostile, invoices, publish_unreadable
from tools.chaos._stack import ChaosStack
from tools.chaos._tally import Tally, dead_letters, rows, scored_counters, tally
from tools.chaos._workers import Workers

SHUTDOWN_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class ChaosConfig:
    """How big and how long: the full suite's defaults; `short()` for the tests."""

    count: int = 3000
    rate: float = 60.0
    workers: int = 2
    fault_after_s: float = 10.0
    drain_timeout_s: float = 300.0
    short_faults: bool = False
    seed: int = 7
    keep: bool = False

    @classmethod
    def short(cls) -> ChaosConfig:
        """A few hundred invoices and outages of seconds: every scenario in well under a minute."""
        return cls(count=240, rate=40.0, fault_after_s=2.0, drain_timeout_s=120.0, short_faults=True)


@dataclass(slots=True)
class Run:
    """What a fault needs: the stack, the workers, the config and the scenario's settings."""

    stack: ChaosStack
    workers: Workers
    config: ChaosConfig
    settings: Settings

    async def restart_worker(self, i: int, after_s: float) -> None:
        await asyncio.sleep(after_s)
        self.workers.start(i)


Fault = Callable[[Run, float], Awaitable[None]]
Inspect = Callable[[Run, tuple[str, str], list[Path]], Awaitable[None]]
"""Looks at a drained run while its workers still run: the run, its tenants and the documents it sent."""


async def _kill_workers(run: Run, seconds: float) -> None:
    """SIGKILL a worker, restart it a second later, every few seconds, `seconds` long."""
    rng = random.Random(run.config.seed)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        i = rng.randrange(run.workers.count)
        run.workers.kill(i)
        await run.restart_worker(i, 1.0)
        await asyncio.sleep(min(6.0, max(0.0, end - time.monotonic())))


async def _broker(run: Run, seconds: float) -> None:
    """Kill the broker; while it is away, SIGTERM a worker (it must stop in time anyway) and start it again."""
    await run.stack.script("kill", "kafka")
    await asyncio.sleep(min(5.0, seconds / 3))
    run.workers.stop(0, SHUTDOWN_TIMEOUT_S)
    run.workers.start(0)
    await asyncio.sleep(max(0.0, seconds - min(5.0, seconds / 3)))
    await run.stack.up("kafka")


def _outage(how: str, service: str) -> Fault:
    """A fault that breaks `service` (`how`: kill, down or freeze), waits out the outage, then puts it back."""

    async def fault(run: Run, seconds: float) -> None:
        await run.stack.script(how, service)
        await asyncio.sleep(seconds)
        await run.stack.script("thaw" if how == "freeze" else "up", service)

    return fault


async def _nothing(run: Run, seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One way things go wrong."""

    name: str
    about: str
    fault: Fault
    full_s: float
    short_s: float
    hostile: bool = False


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("kill", "SIGKILL a worker every few seconds under load, restart it", _kill_workers, 40.0, 8.0),
    Scenario("broker", "Kafka broker killed, back after the outage; a worker SIGTERMed meanwhile", _broker,
             90.0, 15.0),
    Scenario("redis", "Redis stopped, back after the outage (its data kept)", _outage("down", "redis"), 30.0, 8.0),
    Scenario("redis-frozen", "Redis frozen (SIGSTOP): connections hang, nothing answers",
             _outage("freeze", "redis"), 30.0, 8.0),
    Scenario("postgres", "PostgreSQL crashed (immediate stop), back after the outage", _outage("kill", "postgres"),
             60.0, 10.0),
    Scenario("hostile", "poison headers, unreadable records, hostile references among valid invoices",
             _nothing, 1.0, 1.0, hostile=True),
)}


def _worker_env(stack: ChaosStack, prefix: str, roots: list[Path], config: ChaosConfig) -> dict[str, str]:
    env = {**stack.env(), "INVOICEFLOW_TOPIC_PREFIX": prefix, "INVOICEFLOW_APP_ID": prefix.rstrip("."),
           "INVOICEFLOW_FILE_ROOTS": json.dumps([str(r) for r in roots]), "INVOICEFLOW_SESSION_TIMEOUT_S": "10",
           "INVOICEFLOW_SHUTDOWN_TIMEOUT_S": str(SHUTDOWN_TIMEOUT_S), "INVOICEFLOW_LOG_LEVEL": "WARNING",
           "INVOICEFLOW_RETRY_DELAYS_S": "[1, 2, 4]"}
    if config.short_faults:
        env["INVOICEFLOW_PRODUCER_REQUEST_TIMEOUT_S"] = "5"
    return env


async def run_scenario(stack: ChaosStack, scenario: Scenario, config: ChaosConfig, tag: str,
                       inspect: Inspect | None = None) -> Tally:
    """Run one scenario on the (running) chaos stack and count what became of its invoices; `inspect` then
    looks at the result while the workers still run (its failures are raised, after the clean-up)."""
    prefix = f"chaos-{tag}-{scenario.name}."
    settings = stack.settings(topic_prefix=prefix, app_id=prefix.rstrip("."))
    tenants = (f"chaos-{tag}-{scenario.name}-a", f"chaos-{tag}-{scenario.name}-b")
    work = stack.state_dir / "runs" / prefix.rstrip(".")
    work.mkdir(parents=True, exist_ok=True)
    paths = documents(stack.state_dir / "documents", config.count, config.seed)
    await ensure_topics(settings)
    workers = Workers(_worker_env(stack, prefix, [paths[0].parents[1], work], config), work, config.workers)
    result = Tally(scenario.name, workers_expected=config.workers)
    workers.start_all()
    try:
        await wait_for_workers(settings, 120)
        valid = invoices(paths, tenants, settings)
        bad: list[Message] = hostile(work / "hostile", tenants[0], paths[0], settings) if scenario.hostile else []
        unreadable = 0
        outage_s = scenario.short_s if config.short_faults else scenario.full_s
        async with Upstream(settings) as upstream:
            publishing = asyncio.create_task(upstream.paced(valid, config.rate))
            await asyncio.sleep(config.fault_after_s)
            await scenario.fault(Run(stack, workers, config, settings), outage_s)
            if bad:
                await upstream.send(bad)
                unreadable = await publish_unreadable(settings, 2)
            await publishing
            back = time.monotonic()
            result.drain_s = await _drained(settings, upstream.acked, tenants, len(bad) + unreadable,
                                            config.drain_timeout_s, back)
            await tally(result, settings, upstream.acked, tenants, unreadable)
        result.workers_alive = workers.alive()
        if inspect is not None and result.drain_s is not None:
            await inspect(Run(stack, workers, config, settings), tenants, paths)
    finally:
        workers.stop_all(SHUTDOWN_TIMEOUT_S)
        result.unkillable = workers.unkillable
        if not result.passed:
            result.notes.append(f"worker logs in {work}")
        if not config.keep:
            try:
                await _clean(settings, prefix, tenants)
            except Exception as exc:  # noqa: BLE001 - a failed clean-up must not hide why the scenario failed
                result.notes.append(f"clean-up failed: {type(exc).__name__}: {exc}")
    return result


async def _drained(settings: Settings, sent: list[Message], tenants: tuple[str, str], hostile: int,
                   timeout_s: float, since: float) -> float | None:
    """Seconds until every valid invoice has its row, Redis agrees, and the hostile ones are dead letters."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        valid = {(m.tenant, m.key.decode()) for m in sent if m.valid}
        found, _ = await rows(settings, tenants)
        if valid <= found:
            counters = await scored_counters(settings, tenants)
            per_tenant = {t: sum(1 for tt, _ in found if tt == t) for t in tenants}
            if counters == per_tenant and (not hostile or len(await dead_letters(settings)) >= hostile):
                return time.monotonic() - since
        await asyncio.sleep(2.0)
    return None


async def _clean(settings: Settings, prefix: str, tenants: tuple[str, str]) -> None:
    await delete_topics(settings, prefix)
    await delete_redis_keys(settings, prefix)
    for tenant in tenants:
        await delete_rows(settings, tenant)
