"""Wire the stages into a Faust app: one agent per stage on its topic and one on its retry topic.

This is the only place that knows every stage; the CLI calls `install` for the stages a worker runs, so
several worker processes can split the stages between them (`invoiceflow worker --stages detect,extract`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agents.aggregate import aggregate_agent
from agents.context import StageContext
from agents.detect import detect_agent
from agents.extract import extract_agent
from agents.score import score_agent
from config.topics import STAGES
from streams.stage import BatchHandler, StageRunner

HANDLERS: dict[str, Callable[[StageContext], BatchHandler]] = {
    "detect": detect_agent,
    "extract": extract_agent,
    "score": score_agent,
    "aggregate": aggregate_agent,
}

ALL_STAGES: tuple[str, ...] = tuple(STAGES)


def install(app: Any, stages: Sequence[str], ctx: StageContext) -> dict[str, StageRunner]:
    """Register the agents of `stages` on `app`; returns their runners (for stats)."""
    runners: dict[str, StageRunner] = {}
    settings = app.invoiceflow_settings
    for stage in stages:
        if stage not in HANDLERS:
            raise ValueError(f"unknown stage {stage!r}; choose from {', '.join(ALL_STAGES)}")
        handler = HANDLERS[stage](ctx)
        runner = StageRunner(app, stage, handler, retry_delay_s=settings.retry_delay_s,
                             max_attempts=settings.max_attempts)
        topics = app.invoiceflow_topics.stage(stage)
        app.agent(topics.source, name=f"invoiceflow.{stage}")(runner.consume)
        app.agent(topics.retry, name=f"invoiceflow.{stage}.retry")(runner.consume)
        runners[stage] = runner
    return runners
