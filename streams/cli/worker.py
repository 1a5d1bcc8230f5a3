"""`invoiceflow worker`: run the stages of the pipeline in one worker process (plain aiokafka by default;
Faust agents with ``INVOICEFLOW_TRANSPORT=faust``).

Before anything is consumed, the topics are created and the PostgreSQL migrations applied, so a worker never
subscribes to a topic that does not exist yet and a schema problem stops it before it consumes anything.
Under Faust, the terminal spinner is off (it forces the root logger to DEBUG and burns ~11% CPU) and the web
server is off or bound to loopback unless the settings say otherwise.

A plain-aiokafka worker starts its HTTP listener (health, readiness, Prometheus metrics:
`streams/worker_http.py`) first, so a worker that waits for Kafka or PostgreSQL to start already answers
its probes and says what it waits for; the listener closes once the worker has stopped, before its clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import os
import signal
from collections.abc import Sequence
from types import FrameType

from agents.context import Memos, StageContext
from agents.pipeline import install, install_kafka
from config.settings import Settings
from streams.admin import ensure_topics
from streams.errors import DependencyUnavailable
from streams.health import Readiness
from streams.kafka_worker import KafkaStageWorker
from streams.logs import configure
from streams.metrics import WorkerMetrics
from streams.sinks.postgres import open_pool
from streams.worker_http import WorkerListener, targets_dir

log = logging.getLogger("invoiceflow.worker")

PREPARE_RETRY_S = 2.0


async def prepare(settings: Settings, stopping: asyncio.Event | None = None) -> bool:
    """Create the topics and apply the migrations; False if stopped first.

    With `stopping`, a Kafka or PostgreSQL that does not answer is waited for (a worker restarted during an
    outage starts once it ends instead of dying); without it, the error is raised.
    """
    while True:
        try:
            await ensure_topics(settings)
            pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
            await pool.close()
            return True
        except DependencyUnavailable as exc:
            if stopping is None:
                raise
            log.warning("worker: waiting to start: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), PREPARE_RETRY_S)
            if stopping.is_set():
                return False


def run_worker(settings: Settings, stages: Sequence[str]) -> None:
    """Prepare, then run the given stages until the worker is stopped (SIGINT/SIGTERM)."""
    configure(settings.log_level, settings.log_format)  # the CLI's WARNING default would otherwise win
    if settings.transport == "kafka":
        asyncio.run(run_kafka_worker(settings, stages))
        return
    run_faust_worker(settings, stages)


def run_faust_worker(settings: Settings, stages: Sequence[str]) -> None:
    """The stages as Faust agents (``INVOICEFLOW_TRANSPORT=faust``); Faust is imported only here."""
    import faust  # the Kafka transport, the default, never loads it

    from streams.app import create_app

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(prepare(settings))
    app = create_app(settings)
    ctx = StageContext.create(settings, app.invoiceflow_tracer)
    install(app, stages, ctx)

    close_app = app.on_shutdown

    async def on_shutdown() -> None:  # mode calls it once the agents (its children) have stopped
        await close_app()
        await ctx.resources.close()
        await app.invoiceflow_tracing.aclose()

    app.on_shutdown = on_shutdown
    worker = faust.Worker(app, loop=loop, loglevel=settings.log_level, quiet=True, override_logging=False)
    worker.spinner = None
    worker.execute_from_commandline()


async def run_kafka_worker(settings: Settings, stages: Sequence[str]) -> None:
    """The stages over one plain aiokafka consumer and producer, until SIGINT/SIGTERM."""
    worker = KafkaStageWorker(settings)
    stop_on_signals(worker, settings.shutdown_timeout_s)
    # co-partitioned: an invoice's next hop runs here, and may take what its last one made from these memos
    ctx = StageContext.create(settings, worker.tracing.tracer, Memos.from_settings(settings))
    listener = worker_listener(settings, worker, ctx, stages)
    if listener is not None:
        await listener.start()
    try:
        if await prepare(settings, worker.stopping):
            await _run(settings, worker, ctx, stages)
    finally:
        if listener is not None:  # first: a probe must not open the clients again as they close
            await listener.close()
        await ctx.resources.close()


async def _run(settings: Settings, worker: KafkaStageWorker, ctx: StageContext, stages: Sequence[str]) -> None:
    install_kafka(worker, stages, ctx)
    gc.set_threshold(20_000, 20, 20)
    gc.freeze()  # the start-up heap (modules, schemas, tables) is never garbage: keep it out of every collection
    log.info("worker: stages %s over plain aiokafka, group %s", ",".join(stages), settings.app_id)
    try:
        await worker.run()
    finally:
        memos = ctx.memos
        kept = (("events", memos.events), ("documents", memos.documents), ("xml", memos.xml), ("text", memos.text))
        for name, memo in kept:
            if memo is not None:
                log.info("worker: recent %s reused %d times, %d looked for in vain", name, memo.hits, memo.misses)


def worker_listener(settings: Settings, worker: KafkaStageWorker, ctx: StageContext,
                    stages: Sequence[str]) -> WorkerListener | None:
    """The worker's health and metrics listener (None when the settings turn it off)."""
    if not settings.worker_http_enabled:
        return None
    metrics = WorkerMetrics(worker, ctx.observations, ctx.resources, settings.health_check_timeout_s)
    ready = Readiness(worker, ctx.resources, settings.health_check_timeout_s)
    labels = {"app_id": settings.app_id, "stages": ",".join(stages), "pid": str(os.getpid())}
    target = targets_dir(settings.state_dir) / f"{os.getpid()}.json"
    return WorkerListener(settings.worker_http_host, settings.worker_http_port, target, labels, ready.answer,
                          metrics.render)


def stop_on_signals(worker: KafkaStageWorker, timeout_s: float) -> None:
    """SIGTERM or SIGINT stops the worker gracefully, and within `timeout_s` for sure.

    The handlers are Python's own (`signal.signal`), not the event loop's: they run even while the loop is
    stuck (a rebalance that never settles, a blocking call), and hand the stop to the loop thread-safely.
    The first signal also arms SIGALRM with its default action, which ends the process after `timeout_s`
    whatever it is doing; a second signal ends it at once. Nothing is lost either way: what was not
    committed is read again by the next worker.
    """
    loop = asyncio.get_running_loop()
    signalled: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if signalled:
            os._exit(128 + signum)
        signalled.append(signum)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(max(1, math.ceil(timeout_s)))
        loop.call_soon_threadsafe(worker.stop)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
