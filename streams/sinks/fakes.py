"""In-memory twins of the sinks, for unit tests only (integration tests use the real servers)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from schemas import InvoiceScored
from streams.counters import DEAD_LETTERS, UNKNOWN_TENANT, dead_letter_field
from streams.sinks import (
    CounterDelta,
    DeadLetterFact,
    HistoryFacts,
    HistoryQuery,
    LabelledExample,
    RecordedExtraction,
    VendorFact,
)


class FakeRecordStore:
    """Keeps the latest scored event per (tenant, invoice) and the vendors its approvals teach, like PostgreSQL."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], InvoiceScored] = {}
        self.vendors: dict[tuple[str, str], VendorFact] = {}
        self.round_trips = 0
        self.trace_ids: dict[tuple[str, str], str] = {}

    async def write_scored(self, events: Sequence[InvoiceScored], vendors: Sequence[VendorFact] = (),
                           trace_ids: Mapping[tuple[str, str], str] | None = None) -> int:
        self.round_trips += 1
        self.trace_ids.update(trace_ids or {})
        written: set[tuple[str, str]] = set()
        for ev in events:
            old = self.rows.get((ev.tenant_id, ev.invoice_id))
            if old is None or (old.scored_at, old.event_id) < (ev.scored_at, ev.event_id):
                self.rows[(ev.tenant_id, ev.invoice_id)] = ev
                written.add((ev.tenant_id, ev.event_id))
        kept = {(ev.tenant_id, ev.event_id) for ev in self.rows.values()} & written  # a later one may win
        for v in vendors:
            if (v.tenant_id, v.event_id) in kept:
                self.vendors[(v.tenant_id, v.seller_key)] = v
        return len(kept)


class FakeCounterStore:
    """Counters since the start, with the same once-per-(tenant, event id) and once-per-origin rules as the
    Redis scripts (the window tables are the real store's business)."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()
        self.origins: set[tuple[str, int, int]] = set()
        self.counters: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    async def apply(self, deltas: Sequence[CounterDelta]) -> int:
        applied = 0
        for d in deltas:
            if (d.tenant_id, d.event_id) in self.seen:
                continue
            self.seen.add((d.tenant_id, d.event_id))
            applied += 1
            for name, value in d.fields:
                self.counters[d.tenant_id][name] += value
        return applied

    async def count_dead_letters(self, letters: Sequence[DeadLetterFact]) -> int:
        counted = 0
        for d in letters:
            origin = (d.topic, d.partition, d.offset)
            if origin in self.origins:
                continue
            self.origins.add(origin)
            counted += 1
            tenant = self.counters[d.tenant_id or UNKNOWN_TENANT]
            tenant[DEAD_LETTERS] += 1
            tenant[dead_letter_field(d.stage, d.reason)] += 1
        return counted

    async def read(self, tenant_id: str | None = None) -> dict[str, dict[str, int]]:
        return {t: dict(c) for t, c in self.counters.items() if tenant_id in (None, t)}


class FakeDeadLetterStore:
    """Dead-letter rows keyed by origin (topic, partition, offset), the first one kept, like PostgreSQL."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int, int], DeadLetterFact] = {}

    async def write_dead_letters(self, letters: Sequence[DeadLetterFact]) -> int:
        written = 0
        for d in letters:
            if (d.topic, d.partition, d.offset) not in self.rows:
                self.rows[(d.topic, d.partition, d.offset)] = d
                written += 1
        return written


class FakeDedupeIndex:
    """First-seen index in a dict."""

    def __init__(self) -> None:
        self.owners: dict[tuple[str, str], str] = {}

    async def claim(self, claims: Sequence[tuple[str, str, str]]) -> list[str | None]:
        result: list[str | None] = []
        for tenant, sha, invoice_id in claims:
            owner = self.owners.setdefault((tenant, sha), invoice_id)
            result.append(None if owner == invoice_id else owner)
        return result


class FakeHistoryIndex:
    """Business keys (first seen owns them) and known vendors, like the Redis history script."""

    def __init__(self) -> None:
        self.owners: dict[tuple[str, str], str] = {}
        self.vendors: dict[tuple[str, str], str] = {}

    async def lookup(self, queries: Sequence[HistoryQuery]) -> list[HistoryFacts]:
        facts = []
        for q in queries:
            owners = [self.owners.setdefault((q.tenant_id, k), q.invoice_id) for k in q.business_keys]
            dup = next((o for o in owners if o != q.invoice_id), None)
            iban = self.vendors.get((q.tenant_id, q.seller_key)) if q.seller_key else None
            known = q.seller_key is not None and (q.tenant_id, q.seller_key) in self.vendors
            facts.append(HistoryFacts(duplicate_of=dup, vendor_known=known, vendor_iban=iban or None))
        return facts

    async def learn_vendors(self, vendors: Sequence[VendorFact]) -> None:
        for v in vendors:
            self.vendors[(v.tenant_id, v.seller_key)] = v.iban or ""


class FakeReviewStore:
    """The extractions reviews correct (given) and the examples stored, latest review per invoice, like PostgreSQL."""

    def __init__(self, recorded: Sequence[RecordedExtraction] = ()) -> None:
        self.recorded = {(r.tenant_id, r.invoice_id): r for r in recorded}
        self.examples: dict[tuple[str, str], LabelledExample] = {}
        self.vendors: list[VendorFact] = []
        self.writes = 0

    async def extractions(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], RecordedExtraction]:
        return {k: self.recorded[k] for k in keys if k in self.recorded}

    async def write_examples(self, examples: Sequence[LabelledExample], vendors: Sequence[VendorFact] = ()) -> int:
        changed = 0
        for e in examples:
            old = self.examples.get((e.tenant_id, e.invoice_id))
            if old is None or (old.event_id != e.event_id and (e.reviewed_at, e.event_id) >
                               (old.reviewed_at, old.event_id)):
                self.examples[(e.tenant_id, e.invoice_id)] = e
                self.writes += 1
                changed += 1
                if old is None or old.decision != "approve":  # an invoice counts once for its seller
                    self.vendors += [v for v in vendors if (v.tenant_id, v.event_id) == (e.tenant_id, e.event_id)]
        return changed
