"""Turn a batch of scored events into the parameters of the record statement (pure, no I/O).

PostgreSQL's `INSERT ... ON CONFLICT DO UPDATE` may not touch one row twice in a statement, so the invoice
rows come from the newest event per invoice only; the batch's older events still belong to the decision
history, which is keyed by event id. "Invoice" and "event id" mean the tenant's, as in the tables (migration
0004): an invoice is keyed by (tenant id, invoice id) and a decision by (tenant id, event id), because tenants
pick invoice ids upstream and event ids do not name the tenant, so two tenants' events may carry equal ids.
Each event travels as its own JSON document, which the statement takes apart server-side (fields, lines,
confidences): serialising an event is one call into pydantic's Rust core, where building and encoding ~50
typed arrays element by element cost the client about three times as much (measured: ~45 against ~15 ms of
CPU per 500 events). Vendor facts are kept only when they name an event that can become a row (of their
tenant), so the statement can tie each one to the invoice row it approved. The trace id a message carried
travels inside its event's JSON as one more key (`trace_id`), which the statement reads and the contract never
sees. Text and JSON go through `_pg_text`: a NUL, which PostgreSQL cannot store, becomes U+FFFD.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from schemas import InvoiceScored
from streams.sinks._pg_text import pg_json, pg_text, pg_texts
from streams.sinks._protocols import VendorFact

VENDOR_COLUMNS = ("tenant_id", "seller_key", "event_id", "name", "vat_id", "iban")
"""The vendor facts' columns, in the statement's order: names of `VendorFact` fields, read by name."""
TRACE_ID_KEY = "trace_id"
"""The key an event's JSON carries its message's trace id under (no field of the contract may take it)."""

_vendor_row = attrgetter(*VENDOR_COLUMNS)


@dataclass(frozen=True, slots=True)
class RecordBatch:
    """The parameters of one record statement."""

    tenant_ids: list[str]
    """Tenant ids of `latest`, in the same order."""
    invoice_ids: list[str]
    """Invoice ids of `latest`, in the same order (with `tenant_ids`, the keys of the stored rows to read)."""
    latest: list[str]
    """JSON of the newest event of each invoice: the candidates for the invoice rows."""
    older: list[str]
    """JSON of the batch's other events, once per event id: decision history only."""
    vendors: list[list[Any]]
    """One list per `VENDOR_COLUMNS` name."""

    def arguments(self) -> list[Any]:
        """Every parameter in the statement's order."""
        return [self.tenant_ids, self.invoice_ids, self.latest, self.older, *self.vendors]


def _newer(a: InvoiceScored, b: InvoiceScored) -> bool:
    return (a.scored_at, a.event_id) > (b.scored_at, b.event_id)


def latest_per_invoice(events: Sequence[InvoiceScored]) -> list[InvoiceScored]:
    """One event per (tenant, invoice id), the newest (by scored_at, then event id), in first-seen order."""
    best: dict[tuple[str, str], InvoiceScored] = {}
    for ev in events:
        key = (ev.tenant_id, ev.invoice_id)
        old = best.get(key)
        if old is None or _newer(ev, old):
            best[key] = ev
    return list(best.values())


def older_events(events: Sequence[InvoiceScored], latest: Sequence[InvoiceScored]) -> list[InvoiceScored]:
    """The batch's other events, once per (tenant, event id): decisions taken that are not the newest."""
    taken = {(ev.tenant_id, ev.event_id) for ev in latest}
    out: list[InvoiceScored] = []
    for ev in events:
        key = (ev.tenant_id, ev.event_id)
        if key not in taken:
            taken.add(key)
            out.append(ev)
    return out


def vendor_columns(vendors: Sequence[VendorFact], known: Collection[tuple[str, str]]) -> list[list[Any]]:
    """`VENDOR_COLUMNS` arrays of the facts that name one of the `known` (tenant id, event id), once each."""
    rows: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for v in vendors:
        if v.event_id is not None and (v.tenant_id, v.event_id) in known:
            rows.setdefault((v.tenant_id, v.seller_key, v.event_id), _vendor_row(v))
    return transpose(list(rows.values()), len(VENDOR_COLUMNS))


_TRACE_ID_KEY_JSON = json.dumps(TRACE_ID_KEY)

TraceIds = Mapping[tuple[str, str], str]
"""The trace id each event's message carried, by (tenant id, event id)."""


def record_batch(events: Sequence[InvoiceScored], vendors: Sequence[VendorFact] = (),
                 trace_ids: TraceIds | None = None) -> RecordBatch:
    """Every parameter of the record statement for a batch (see the module docstring)."""
    latest = latest_per_invoice(events)
    traces = trace_ids or {}
    vendor_rows = vendor_columns(vendors, {(ev.tenant_id, ev.event_id) for ev in latest})
    return RecordBatch(
        tenant_ids=[pg_text(ev.tenant_id) for ev in latest],
        invoice_ids=[pg_text(ev.invoice_id) for ev in latest],
        latest=[event_json(ev, traces) for ev in latest],
        older=[event_json(ev, traces) for ev in older_events(events, latest)],
        vendors=[pg_texts(column) for column in vendor_rows],
    )


def event_json(event: InvoiceScored, trace_ids: TraceIds) -> str:
    """The event as the statement reads it: its JSON, plus `TRACE_ID_KEY` when its message carried one."""
    text = pg_json(event.model_dump_json())
    trace_id = trace_ids.get((event.tenant_id, event.event_id))
    if trace_id is None:
        return text
    return f"{text[:-1]},{_TRACE_ID_KEY_JSON}:{json.dumps(trace_id)}}}"  # the JSON object ends with its brace


def transpose(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows to columns (`width` columns even when there are no rows)."""
    cols: list[list[Any]] = [[] for _ in range(width)]
    for row in rows:
        for col, value in zip(cols, row, strict=True):
            col.append(value)
    return cols


def vendor_master_columns(facts: Sequence[VendorFact]) -> list[list[Any]]:
    """(tenant, seller key, name, vat id, iban) arrays of a vendor-master import, last fact per key wins."""
    rows: dict[tuple[str, str], tuple[Any, ...]] = {}
    for f in facts:
        rows[(f.tenant_id, f.seller_key)] = (f.tenant_id, f.seller_key, f.name, f.vat_id, f.iban)
    return transpose(list(rows.values()), 5)
