"""Wire the stages into a worker: Faust agents (one per stage on its topic, one on each retry tier's), or the
runners of a plain-aiokafka worker (`streams.kafka_worker`), as the settings' `transport` says.

This is the only place that knows every stage; the CLI calls `install` for the stages a worker runs, so
several worker processes can split the stages between them (`invoiceflow worker --stages detect,extract`).
A stage's module is imported only when a worker runs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from agents.context import StageContext
from config.settings import Settings
from config.topics import STAGES
from streams.kafka_worker import KafkaStageWorker
from streams.stage import BatchHandler, StageRunner

ALL_STAGES: tuple[str, ...] = tuple(STAGES)


def shell_of(stage: str) -> Callable[[StageContext], BatchHandler]:
    """The `<stage>_agent` factory of `agents/<stage>.py`."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; choose from {', '.join(ALL_STAGES)}")
    factory: Callable[[StageContext], BatchHandler] = getattr(
        importlib.import_module(f"agents.{stage}"), f"{stage}_agent"
    )
    return factory


def runners(host: Any, stages: Sequence[str], ctx: StageContext) -> dict[str, StageRunner]:
    """One runner per stage in `stages`, producing through `host` (a Faust app, or the Kafka worker's host)."""
    built: dict[str, StageRunner] = {}
    settings = ctx.settings
    for stage in stages:
        handler = shell_of(stage)(ctx)
        built[stage] = StageRunner(host, stage, handler, retry_delays_s=settings.retry_delays_s,
                                   max_in_flight=window(stage, settings))
    return built


def window(stage: str, settings: Settings) -> int:
    """How many records of `stage` a worker handles at once (1: batch after batch).

    Stages that wait on slow I/O run windowed, each record its own task: extract when it calls the paid
    service or local OCR, detect when it may fetch documents over https (one source that never answers then
    holds one slot and its own record's commit point for its time budget, not the whole worker).
    """
    if stage == "extract" and (settings.azure_endpoints or settings.ocr == "tesseract"):
        return settings.azure_max_in_flight
    if stage == "detect" and settings.fetch_allowed_hosts:
        return settings.fetch_max_in_flight
    return 1


def install(app: Any, stages: Sequence[str], ctx: StageContext) -> dict[str, StageRunner]:
    """Register the Faust agents of `stages` on `app` (one on the source, one on each retry tier's topic)."""
    built = runners(app, stages, ctx)
    for stage, runner in built.items():
        topics = app.invoiceflow_topics.stage(stage)
        app.agent(topics.source, name=f"invoiceflow.{stage}")(runner.consume)
        for tier, retry in enumerate(topics.retries, start=1):
            app.agent(retry, name=f"invoiceflow.{stage}.retry.{tier}")(runner.consume)
    return built


def install_kafka(worker: KafkaStageWorker, stages: Sequence[str], ctx: StageContext) -> dict[str, StageRunner]:
    """Hand the runners of `stages` to a plain-aiokafka worker; the dead letters they make are recorded in
    PostgreSQL and counted in the metrics tables before they are sent."""
    built = runners(worker.host, stages, ctx)
    worker.on_dead_letters = ctx.resources.note_dead_letters
    for stage, runner in built.items():
        worker.add(stage, runner, ctx.settings.sink_linger_s if stage == "aggregate" else 0.0)
    return built
