"""The base every event contract shares.

Events are frozen and forbid unknown fields so a producer's typo fails loudly at the boundary instead of
travelling silently downstream. Every event names its invoice and tenant, and carries a deterministic
`event_id` so that a redelivered or replayed event can be recognised and ignored by any consumer.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

_EVENT_NAMESPACE = uuid.UUID("6f1d3c9e-52a4-4c7b-9f0e-1b2a3c4d5e6f")


def event_id_for(stage: str, invoice_id: str, input_event_id: str) -> str:
    """Derive the stable id of the event a stage emits for one input event.

    Args:
        stage: The emitting stage (``received``, ``detect``, ``extract``, ``score``, ``dead_letter``...).
        invoice_id: The invoice the event is about.
        input_event_id: The id of the event the stage consumed (or an upstream reference).

    Returns:
        A UUID5 string: the same inputs always give the same id, so downstream can dedupe.
    """
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{stage}\x1f{invoice_id}\x1f{input_event_id}"))


class Contract(BaseModel):
    """A frozen, strict pydantic model: the base of every schema object."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Event(Contract):
    """Fields every event carries."""

    event_id: str = Field(description="Deterministic id (UUID5 of stage, invoice id and input event id).")
    invoice_id: str = Field(min_length=1, max_length=200, description="The invoice's id; the Kafka key.")
    tenant_id: str = Field(min_length=1, max_length=100, description="The customer the invoice belongs to.")
    received_at: datetime = Field(description="When the invoice entered the pipeline (UTC); for latency.")
