"""`invoiceflow worker`: run the stages of the pipeline in one worker process (Faust, or plain aiokafka).

Before Faust starts, the topics are created and the PostgreSQL migrations applied, so a worker never
subscribes to a topic that does not exist yet and a schema problem stops it before it consumes anything.
The terminal spinner is off (it forces the root logger to DEBUG and burns ~11% CPU) and the web server is
off or bound to loopback unless the settings say otherwise.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Sequence

import faust

from agents.context import StageContext
from agents.pipeline import install, install_kafka
from config.settings import Settings
from streams.admin import ensure_topics
from streams.app import create_app
from streams.codecs import remember_encoded
from streams.documents import remember_loaded
from streams.kafka_worker import KafkaStageWorker
from streams.sinks.postgres import open_pool

log = logging.getLogger("invoiceflow.worker")


async def prepare(settings: Settings) -> None:
    """Create the topics and apply the migrations."""
    await ensure_topics(settings)
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
    await pool.close()


def run_worker(settings: Settings, stages: Sequence[str]) -> None:
    """Prepare, then run the given stages until the worker is stopped (SIGINT/SIGTERM)."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        force=True)  # the CLI's WARNING default would otherwise win
    if settings.transport == "kafka":
        asyncio.run(run_kafka_worker(settings, stages))
        return
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(prepare(settings))
    ctx = StageContext.create(settings)
    app = create_app(settings)
    install(app, stages, ctx)

    close_app = app.on_shutdown

    async def on_shutdown() -> None:  # mode calls it once the agents (its children) have stopped
        await close_app()
        await ctx.resources.close()

    app.on_shutdown = on_shutdown
    worker = faust.Worker(app, loop=loop, loglevel=settings.log_level, quiet=True, override_logging=False)
    worker.spinner = None
    worker.execute_from_commandline()


async def run_kafka_worker(settings: Settings, stages: Sequence[str]) -> None:
    """The stages over one plain aiokafka consumer and producer, until SIGINT/SIGTERM."""
    await prepare(settings)
    ctx = StageContext.create(settings)
    worker = KafkaStageWorker(settings)
    install_kafka(worker, stages, ctx)
    events = remember_encoded(settings.recent_events)
    documents = remember_loaded(settings.recent_documents_mb * 1024 * 1024)
    gc.set_threshold(20_000, 20, 20)
    gc.freeze()  # the start-up heap (modules, schemas, tables) is never garbage: keep it out of every collection
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.stop)
    log.info("worker: stages %s over plain aiokafka, group %s", ",".join(stages), settings.app_id)
    try:
        await worker.run()
    finally:
        await ctx.resources.close()
        for name, memo in (("events", events), ("documents", documents)):
            if memo is not None:
                log.info("worker: recent %s reused %d times, %d looked for in vain", name, memo.hits, memo.misses)
