"""Wire the stages into a Faust app: one agent per stage on its topic and one on its retry topic.

This is the only place that knows every stage; the CLI calls `install` for the stages a worker runs, so
several worker processes can split the stages between them (`invoiceflow worker --stages detect,extract`).
A stage's module is imported only when a worker runs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from agents.context import StageContext
from config.topics import STAGES
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


def install(app: Any, stages: Sequence[str], ctx: StageContext) -> dict[str, StageRunner]:
    """Register the agents of `stages` on `app`; returns their runners (for stats)."""
    runners: dict[str, StageRunner] = {}
    settings = app.invoiceflow_settings
    for stage in stages:
        handler = shell_of(stage)(ctx)
        windowed = stage == "extract" and (settings.azure_endpoints or settings.ocr == "tesseract")
        runner = StageRunner(app, stage, handler, retry_delay_s=settings.retry_delay_s,
                             max_attempts=settings.max_attempts,
                             max_in_flight=settings.azure_max_in_flight if windowed else 1)
        topics = app.invoiceflow_topics.stage(stage)
        app.agent(topics.source, name=f"invoiceflow.{stage}")(runner.consume)
        app.agent(topics.retry, name=f"invoiceflow.{stage}.retry")(runner.consume)
        runners[stage] = runner
    return runners
