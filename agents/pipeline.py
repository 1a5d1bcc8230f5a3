"""Wire the stages into a worker: Faust agents (one per stage on its topic, one on each retry tier's), or the
runners of a plain-aiokafka worker (`streams.kafka_worker`), as the settings' `transport` says.

It knows no stage by name: each comes from the registry (`agents.stages`) with its shell, its window and its
linger. The CLI calls `install` for the stages a worker runs, so several worker processes can split the stages
between them (`invoiceflow worker --stages detect,extract`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import trace

from agents.context import StageContext
from agents.stages import STAGES, stage
from streams.kafka_worker import KafkaStageWorker
from streams.stage import Producer, StageRunner

ALL_STAGES: tuple[str, ...] = tuple(STAGES)


def runners(stages: Sequence[str], ctx: StageContext, tracer: trace.Tracer,
            producer: Producer | None = None) -> dict[str, StageRunner]:
    """One runner per stage in `stages`, tracing with `tracer`, sending through `producer` if it sends its
    outputs itself (the Faust adapter; the Kafka worker routes and sends through its own outbox)."""
    built: dict[str, StageRunner] = {}
    settings = ctx.settings
    for name in stages:
        entry = stage(name)
        built[name] = StageRunner(name, entry.shell(ctx), settings=settings, tracer=tracer, producer=producer,
                                  retry_delays_s=settings.retry_delays_s, max_in_flight=entry.window(settings))
    return built


def install(app: Any, stages: Sequence[str], ctx: StageContext) -> dict[str, StageRunner]:
    """Register the Faust agents of `stages` on `app` (one on the source, one on each retry tier's topic)."""
    from streams.app import FaustProducer  # Faust is imported only by workers that run on it

    built = runners(stages, ctx, app.invoiceflow_tracer, FaustProducer(app))
    for name, runner in built.items():
        topics = app.invoiceflow_topics.stage(name)
        app.agent(topics.source, name=f"invoiceflow.{name}")(runner.consume)
        for tier, retry in enumerate(topics.retries, start=1):
            app.agent(retry, name=f"invoiceflow.{name}.retry.{tier}")(runner.consume)
    return built


def install_kafka(worker: KafkaStageWorker, stages: Sequence[str], ctx: StageContext) -> dict[str, StageRunner]:
    """Hand the runners of `stages` to a plain-aiokafka worker; the dead letters they make are recorded in
    PostgreSQL and counted in the metrics tables before they are sent."""
    built = runners(stages, ctx, worker.tracing.tracer)
    worker.on_dead_letters = ctx.resources.note_dead_letters
    for name, runner in built.items():
        worker.add(name, runner, stage(name).linger_s(ctx.settings))
    return built
