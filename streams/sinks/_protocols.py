"""Protocols of the sinks and the value they exchange (re-exported by `streams.sinks`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from schemas import InvoiceScored


@dataclass(frozen=True, slots=True)
class CounterDelta:
    """Increments to a tenant's counters caused by one event (applied once per event id)."""

    event_id: str
    tenant_id: str
    day: str
    fields: tuple[tuple[str, int], ...]


class RecordStore(Protocol):
    """Persists scored invoices idempotently, one round trip per batch."""

    async def write_scored(self, events: Sequence[InvoiceScored]) -> int: ...


class CounterStore(Protocol):
    """Applies counter deltas idempotently (an event id counts once)."""

    async def apply(self, deltas: Sequence[CounterDelta]) -> int: ...

    async def read(self, tenant_id: str | None = None) -> dict[str, dict[str, int]]: ...


class DedupeIndex(Protocol):
    """First-seen index of (tenant, document sha256) -> invoice id."""

    async def claim(self, claims: Sequence[tuple[str, str, str]]) -> list[str | None]: ...
