"""Protocols of the sinks and the value they exchange (re-exported by `streams.sinks`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from schemas import InvoiceScored


@dataclass(frozen=True, slots=True)
class CounterDelta:
    """Increments to a tenant's counters caused by one event (applied once per (tenant, event id))."""

    event_id: str
    tenant_id: str
    minute: int
    """UTC start (epoch seconds) of the minute the event counts in; its hour and day follow from it."""
    fields: tuple[tuple[str, int], ...]
    """Counter name -> increment (names from `streams.counters`)."""


@dataclass(frozen=True, slots=True)
class DeadLetterFact:
    """A record a stage gave up on, named by where it was consumed: counted and recorded once per origin."""

    stage: str
    reason: str
    """The error code it was dead-lettered for."""
    topic: str
    """The topic it was consumed from (full name), with `partition` and `offset` its origin."""
    partition: int
    offset: int
    failed_at: datetime
    tenant_id: str | None = None
    """The tenant, if the record revealed it (counted under `streams.counters.UNKNOWN_TENANT` otherwise)."""
    invoice_id: str | None = None


@dataclass(frozen=True, slots=True)
class WindowReading:
    """What the metrics tables hold for one tenant (or all) and window over a range of buckets."""

    series: tuple[tuple[int, dict[str, int]], ...]
    """(bucket start in epoch seconds, counters) for each bucket that counted something, oldest first."""
    totals: dict[str, int]
    """The counters summed over `series`."""


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


@dataclass(frozen=True, slots=True)
class RecordedExtraction:
    """What the records hold for one invoice when a review of it arrives: the extraction it corrects."""

    tenant_id: str
    invoice_id: str
    event_id: str
    """The scored event recorded for the invoice."""
    extractor: str
    document_sha256: str
    decision: str
    score: float
    invoice_json: str | None
    """The extracted fields (InvoiceData as JSON), None when nothing was read."""
    reasons: tuple[str, ...] = ()
    """The reason codes of the decision, each once."""
    format: str = ""
    """The document's format as detect judged it (`text_pdf`...)."""
    document_json: str | None = None
    """The document's reference (DocumentRef as JSON) the record keeps; None when it came inline (or before
    references were kept, migration 0010)."""


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """A review stored as a labelled example, tied to the document and the extraction it corrects."""

    tenant_id: str
    invoice_id: str
    event_id: str
    """The review's event id: the same review stored again changes nothing."""
    document_sha256: str
    extraction_event_id: str
    extractor: str
    seller_key: str | None
    scored_decision: str
    score: float
    extracted: dict[str, Any]
    """Each correctable field as extracted (JSON values), by name; unread fields absent."""
    corrections: dict[str, Any]
    """The corrected values (JSON values), by name."""
    fields_right: dict[str, bool]
    """Each field read or corrected -> whether the reviewer left it unchanged."""
    decision: str
    reviewer: str
    reviewed_at: datetime
    reason_codes: tuple[str, ...] = ()
    """The reason codes of the decision the review corrects (calibration leaves out invoices a rule held)."""
    document_json: str | None = None
    """The reference (DocumentRef as JSON, by location) of the document the review is tied to, if known."""


class RecordStore(Protocol):
    """Persists scored invoices idempotently, one round trip per batch.

    `vendors` are the sellers the batch's auto-approved events teach (tied to them by event id); they are
    recorded only for events whose invoice row the batch actually writes. `trace_ids` names the trace each
    event's message carried, by (tenant id, event id), for the invoice's journey.
    """

    async def write_scored(self, events: Sequence[InvoiceScored], vendors: Sequence[VendorFact] = (),
                           trace_ids: Mapping[tuple[str, str], str] | None = None) -> int: ...


class CounterStore(Protocol):
    """Applies counter deltas idempotently (a tenant's event id counts once, a dead letter once per origin)."""

    async def apply(self, deltas: Sequence[CounterDelta]) -> int: ...

    async def count_dead_letters(self, letters: Sequence[DeadLetterFact]) -> int: ...

    async def read(self, tenant_id: str | None = None) -> dict[str, dict[str, int]]: ...


class DeadLetterStore(Protocol):
    """Records dead letters idempotently (one row per origin), one round trip per batch."""

    async def write_dead_letters(self, letters: Sequence[DeadLetterFact]) -> int: ...


class HistoryIndex(Protocol):
    """Business-key duplicates and known vendors, per tenant."""

    async def lookup(self, queries: Sequence[HistoryQuery]) -> list[HistoryFacts]: ...

    async def learn_vendors(self, vendors: Sequence[VendorFact]) -> None: ...


class ReviewStore(Protocol):
    """Reads the extractions reviews correct and stores the labelled examples, one round trip per batch each."""

    async def extractions(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], RecordedExtraction]: ...

    async def write_examples(self, examples: Sequence[LabelledExample], vendors: Sequence[VendorFact] = ()) -> int:
        """Store the examples; `vendors` are the sellers approving reviews teach, tied to them by review event id
        and learned only with a review row the batch writes (a resent review teaches nothing twice)."""
        ...


class DedupeIndex(Protocol):
    """First-seen index of (tenant, document sha256) -> invoice id."""

    async def claim(self, claims: Sequence[tuple[str, str, str]]) -> list[str | None]: ...
