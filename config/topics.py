"""The topic specs: every topic's name, role and retention, declared once.

Each stage reads one topic and writes the next; each has a dead-letter topic for what it cannot process,
and a retry topic for what it may process later. Names are data here; `streams/topics.py` turns them into
Faust topics and `streams/admin.py` creates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["stage", "retry", "dead_letter"]

RECEIVED = "invoices.received"
DETECTED = "invoices.detected"
EXTRACTED = "invoices.extracted"
SCORED = "invoices.scored"

# stage name -> (input topic, output topic)
STAGES: dict[str, tuple[str, str | None]] = {
    "detect": (RECEIVED, DETECTED),
    "extract": (DETECTED, EXTRACTED),
    "score": (EXTRACTED, SCORED),
    "aggregate": (SCORED, None),
}


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its base name (without prefix), role, and the stage it belongs to."""

    name: str
    role: Role
    stage: str
    payload: str


def retry_topic(stage: str) -> str:
    """Name of a stage's retry topic."""
    return f"invoices.{stage}.retry"


def dead_letter_topic(stage: str) -> str:
    """Name of a stage's dead-letter topic."""
    return f"invoices.{stage}.dlq"


_PAYLOADS = {RECEIVED: "InvoiceReceived", DETECTED: "DocumentDetected", EXTRACTED: "InvoiceExtracted",
             SCORED: "InvoiceScored"}


def all_topics() -> tuple[TopicSpec, ...]:
    """Every topic the pipeline uses, in flow order."""
    specs: list[TopicSpec] = []
    for stage, (source, _) in STAGES.items():
        specs.append(TopicSpec(source, "stage", stage, _PAYLOADS[source]))
        specs.append(TopicSpec(retry_topic(stage), "retry", stage, _PAYLOADS[source]))
        specs.append(TopicSpec(dead_letter_topic(stage), "dead_letter", stage, "DeadLetter"))
    return tuple(specs)
