"""The base every event contract shares.

Events are frozen and forbid unknown fields so a producer's typo fails loudly at the boundary instead of
travelling silently downstream. Every event names its invoice and tenant, and carries a deterministic
`event_id` so that a redelivered or replayed event can be recognised and ignored by any consumer.
"""

from __future__ import annotations

import hashlib
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


_MAX_INVOICE_ID = 200


def part_invoice_id(invoice_id: str, part: int) -> str:
    """The invoice id of one invoice in a file that holds several (a FatturaPA file with several bodies).

    Args:
        invoice_id: The file's invoice id (what `InvoiceReceived` carried).
        part: Which invoice of the file, 1-based, in document order.

    Returns:
        ``<invoice_id>#<part>``: the same file always gives the same ids, so every stage's event ids (derived
        from the invoice id) stay deterministic and a replay is recognised. When that would pass the
        200-character limit of an invoice id, the file's id is shortened and a digest of it kept, so two long
        ids that share a prefix still give distinct parts.
    """
    if part < 1:
        raise ValueError("parts are numbered from 1")
    suffix = f"#{part}"
    if len(invoice_id) + len(suffix) <= _MAX_INVOICE_ID:
        return invoice_id + suffix
    digest = hashlib.sha256(invoice_id.encode()).hexdigest()[:16]
    return f"{invoice_id[: _MAX_INVOICE_ID - len(suffix) - 17]}~{digest}{suffix}"


class Contract(BaseModel):
    """A frozen, strict pydantic model: the base of every schema object."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Event(Contract):
    """Fields every event carries."""

    event_id: str = Field(description="Deterministic id (UUID5 of stage, invoice id and input event id).")
    invoice_id: str = Field(min_length=1, max_length=200, description="The invoice's id; the Kafka key.")
    tenant_id: str = Field(min_length=1, max_length=100, description="The customer the invoice belongs to.")
    received_at: datetime = Field(description="When the invoice entered the pipeline (UTC); for latency.")
