"""The topic specs: every topic's name, role and retention, declared once.

Each stage reads one topic and writes the next; each has a dead-letter topic for what it cannot process,
and one retry topic per retry tier for what it may process later: every record of a tier's topic waits the
same delay, so the one at the head of a partition is always the first due and nothing waits behind a record
due later (a 10-minute retry never holds up a 10-second one). Names are data here; `streams/topics.py` turns them into
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
REVIEWED = "invoices.reviewed"

# stage name -> (input topic, output topic); review records what reviewers say (labelled examples)
STAGES: dict[str, tuple[str, str | None]] = {
    "detect": (RECEIVED, DETECTED),
    "extract": (DETECTED, EXTRACTED),
    "score": (EXTRACTED, SCORED),
    "aggregate": (SCORED, None),
    "review": (REVIEWED, None),
}
INVOICE_STAGES: tuple[str, ...] = ("detect", "extract", "score", "aggregate")
"""The stages every invoice passes through, in order (review is fed by reviewers, not by the chain)."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its base name (without prefix), role, and the stage it belongs to."""

    name: str
    role: Role
    stage: str
    payload: str
    """The event model of its values (a dead letter is the original message: its stage's input)."""


def retry_topic(stage: str, tier: int = 1) -> str:
    """Name of a stage's retry topic for retry tier `tier` (from 1): `invoices.<stage>.retry`, `.retry.2`, ..."""
    return f"invoices.{stage}.retry" if tier <= 1 else f"invoices.{stage}.retry.{tier}"


def dead_letter_topic(stage: str) -> str:
    """Name of a stage's dead-letter topic."""
    return f"invoices.{stage}.dlq"


_PAYLOADS = {RECEIVED: "InvoiceReceived", DETECTED: "DocumentDetected", EXTRACTED: "InvoiceExtracted",
             SCORED: "InvoiceScored", REVIEWED: "InvoiceReviewed"}


def all_topics(retry_tiers: int = 3) -> tuple[TopicSpec, ...]:
    """Every topic the pipeline uses, in flow order, with `retry_tiers` retry topics per stage."""
    specs: list[TopicSpec] = []
    for stage, (source, _) in STAGES.items():
        payload = _PAYLOADS[source]
        specs.append(TopicSpec(source, "stage", stage, payload))
        specs += [TopicSpec(retry_topic(stage, t), "retry", stage, payload) for t in range(1, retry_tiers + 1)]
        specs.append(TopicSpec(dead_letter_topic(stage), "dead_letter", stage, payload))
    return tuple(specs)
