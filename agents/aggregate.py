"""Aggregate: persist scored invoices and count them per tenant, in batches.

The pure core turns one scored event into counter increments (what the metrics tables of
`streams.counters` count: by decision, route, format, extractor and reason code, touchless, paid pages and
cost, end-to-end latency); the agent writes a whole batch to PostgreSQL (one round trip) and applies the
increments to Redis (one round trip), each event into the minute, hour and day it was scored in. Both writes
are idempotent, so a redelivered batch changes nothing and the tables keep agreeing with the records. A sink
failure sends the batch to the retry topic; nothing is dropped.
Each record's stage span covers the batch's writes; once they are done, the invoice's time from receipt to
score is counted for the worker's metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from agents.context import StageContext
from agents.rules.history import seller_identity
from schemas import Decision, InvoiceScored
from streams.counters import (
    COST_MICRO_USD,
    LATENCY_SUM_MS,
    PAID_PAGES,
    SCORED,
    TOUCHLESS,
    WINDOWS,
    by_field,
    epoch_s,
    latency_field,
)
from streams.errors import InvoiceflowError
from streams.sinks import CounterDelta, VendorFact
from streams.stage import BatchHandler, Inbound, Outcome, decode_all
from streams.tracing import describe, trace_id_of

_MICRO = Decimal(1_000_000)


def aggregate(event: InvoiceScored) -> CounterDelta:
    """The counter increments one scored invoice causes.

    Args:
        event: The scored invoice.

    Returns:
        Increments for: invoices scored, by decision, route, format, extractor and reason code (each code
        once per invoice), touchless (auto-approved), paid pages and cost (micro-dollars), and the end-to-end
        latency (scored_at - received_at) as one histogram bucket plus its sum in ms; keyed by the tenant and
        event id so each event counts once, in the minute it was scored.
    """
    scored_at = epoch_s(event.scored_at)
    latency_ms = max(0, round((event.scored_at - event.received_at).total_seconds() * 1000))
    fields: list[tuple[str, int]] = [
        (SCORED, 1),
        (by_field("decision", event.decision.value), 1),
        (by_field("format", event.format.value), 1),
        (by_field("extractor", event.extractor), 1),
        (by_field("route", event.route.value if event.route else "unknown"), 1),
        (latency_field(latency_ms), 1),
        (LATENCY_SUM_MS, latency_ms),
    ]
    fields += [(by_field("reason", code), 1) for code in dict.fromkeys(r.code for r in event.reasons)]
    if event.decision is Decision.AUTO_APPROVE:
        fields.append((TOUCHLESS, 1))
    if event.cost.pages:
        fields.append((PAID_PAGES, event.cost.pages))
        fields.append((COST_MICRO_USD, int(event.cost.usd * _MICRO)))
    return CounterDelta(event.event_id, event.tenant_id, WINDOWS["minute"].start(scored_at), tuple(fields))


def vendors_learned(events: Sequence[InvoiceScored]) -> list[VendorFact]:
    """Sellers of auto-approved invoices, with the IBAN they were approved for: the vendors table learns.

    Each fact names the event that approved it, so the record store learns it only if that event becomes
    the invoice's recorded state (an older or redelivered approval teaches nothing twice).
    """
    facts = []
    for ev in events:
        inv = ev.invoice
        key = seller_identity(inv) if inv and ev.decision is Decision.AUTO_APPROVE else None
        if key and inv:
            facts.append(VendorFact(ev.tenant_id, key, inv.seller_iban, name=inv.seller.name,
                                    vat_id=inv.seller.vat_id, event_id=ev.event_id))
    return facts


def aggregate_agent(ctx: StageContext) -> BatchHandler:
    """The stage shell: decode a batch, persist it, count it; route what fails."""

    async def handle(batch: Sequence[Inbound]) -> Sequence[Outcome]:
        outcomes, decoded = decode_all(batch, InvoiceScored, ctx.memos.events)
        good = [ev for _, _, ev in decoded]
        learned = vendors_learned(good)
        traces = {(ev.tenant_id, ev.event_id): t for _, msg, ev in decoded if (t := trace_id_of(msg.headers))}
        try:
            await (await ctx.resources.records()).write_scored(good, learned, traces)
            await (await ctx.resources.counters()).apply([aggregate(ev) for ev in good])
            await (await ctx.resources.history()).learn_vendors(learned)
        except InvoiceflowError as exc:
            return [o if isinstance(o, InvoiceflowError) else exc for o in outcomes]
        latency = ctx.observations.end_to_end
        for _, msg, ev in decoded:
            latency.observe((ev.scored_at - ev.received_at).total_seconds())
            describe(msg.span, ev)
        return outcomes

    return handle
