"""The stage registry: every stage of the pipeline, in flow order, as one entry each.

An entry names the stage's shell (the `<stage>_agent` factory the runner calls, around the stage's pure
function), the event it consumes and the one it produces, how many of its records a worker handles at once,
how long a sink stage gathers records into a fuller batch, and the resources it takes from the worker.
Adding a stage is one module in `agents/` and one entry here (its topics in `config.topics.STAGES`; a test
holds the two together). `agents.pipeline` builds runners from these entries and knows no stage by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from agents.aggregate import aggregate_agent
from agents.context import StageContext
from agents.detect import detect_agent
from agents.extract import extract_agent
from agents.review import review_agent
from agents.score import score_agent
from config.settings import Settings
from schemas import DocumentDetected, InvoiceExtracted, InvoiceReceived, InvoiceReviewed, InvoiceScored
from streams.stage import BatchHandler


def _one_at_a_time(_settings: Settings) -> int:
    return 1


def _no_linger(_settings: Settings) -> float:
    return 0.0


def _detect_window(settings: Settings) -> int:
    """Windowed when it may fetch documents over https: a source that never answers then holds one slot and
    its own record's commit point for its time budget, not the whole worker."""
    return settings.fetch_max_in_flight if settings.fetch_allowed_hosts else 1


def _extract_window(settings: Settings) -> int:
    """Windowed when it calls the paid service or local OCR (slow I/O, each record its own task)."""
    return settings.azure_max_in_flight if settings.azure_endpoints or settings.ocr == "tesseract" else 1


def _sink_linger(settings: Settings) -> float:
    return settings.sink_linger_s


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of the pipeline."""

    name: str
    shell: Callable[[StageContext], BatchHandler]
    consumes: type[BaseModel]
    produces: type[BaseModel] | None
    """None for a sink (it ends the flow)."""
    resources: tuple[str, ...]
    """What it takes from the worker's `streams.resources.Resources`."""
    window: Callable[[Settings], int] = _one_at_a_time
    """Records handled at once (1: batch after batch)."""
    linger_s: Callable[[Settings], float] = _no_linger
    """How long the worker gathers its records into a fuller batch (the sinks)."""


STAGES: dict[str, Stage] = {s.name: s for s in (
    Stage("detect", detect_agent, InvoiceReceived, DocumentDetected, ("dedupe", "fetcher"), window=_detect_window),
    Stage("extract", extract_agent, DocumentDetected, InvoiceExtracted, ("fetcher", "paid_extractor"),
          window=_extract_window),
    Stage("score", score_agent, InvoiceExtracted, InvoiceScored, ("history",)),
    Stage("aggregate", aggregate_agent, InvoiceScored, None, ("records", "counters", "history"),
          linger_s=_sink_linger),
    Stage("review", review_agent, InvoiceReviewed, None, ("reviews",)),
)}


def stage(name: str) -> Stage:
    """The stage called `name` (ValueError naming the known ones otherwise)."""
    found = STAGES.get(name)
    if found is None:
        raise ValueError(f"unknown stage {name!r}; choose from {', '.join(STAGES)}")
    return found
