"""Protocols of the sinks and the value they exchange (re-exported by `streams.sinks`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """What the score stage asks about one invoice: its business keys and its seller."""

    tenant_id: str
    invoice_id: str
    business_keys: tuple[str, ...]
    seller_key: str | None


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    """What the tenant's history says: an earlier invoice with the same business key, and the vendor."""

    duplicate_of: str | None
    vendor_known: bool
    vendor_iban: str | None


@dataclass(frozen=True, slots=True)
class VendorFact:
    """A seller learned from an approved invoice (or the ERP vendor master), with the IBAN it is paid to."""

    tenant_id: str
    seller_key: str
    iban: str | None
    name: str | None = None
    vat_id: str | None = None
    event_id: str | None = None
    """The scored event that approved it; None for a vendor-master import."""


class RecordStore(Protocol):
    """Persists scored invoices idempotently, one round trip per batch.

    `vendors` are the sellers the batch's auto-approved events teach (tied to them by event id); they are
    recorded only for events whose invoice row the batch actually writes. `trace_ids` names the trace each
    event's message carried, by (tenant id, event id), for the invoice's journey.
    """

    async def write_scored(self, events: Sequence[InvoiceScored], vendors: Sequence[VendorFact] = (),
                           trace_ids: Mapping[tuple[str, str], str] | None = None) -> int: ...


class CounterStore(Protocol):
    """Applies counter deltas idempotently (an event id counts once)."""

    async def apply(self, deltas: Sequence[CounterDelta]) -> int: ...

    async def read(self, tenant_id: str | None = None) -> dict[str, dict[str, int]]: ...


class HistoryIndex(Protocol):
    """Business-key duplicates and known vendors, per tenant."""

    async def lookup(self, queries: Sequence[HistoryQuery]) -> list[HistoryFacts]: ...

    async def learn_vendors(self, vendors: Sequence[VendorFact]) -> None: ...


class DedupeIndex(Protocol):
    """First-seen index of (tenant, document sha256) -> invoice id."""

    async def claim(self, claims: Sequence[tuple[str, str, str]]) -> list[str | None]: ...
