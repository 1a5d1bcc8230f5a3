"""Aggregate: persist scored invoices and count them per tenant, in batches.

The pure core turns one scored event into counter increments; the agent writes a whole batch to PostgreSQL
(one round trip) and applies the increments to Redis (one round trip). Both writes are idempotent, so a
redelivered batch changes nothing. A sink failure sends the batch to the retry topic; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from agents.context import StageContext
from agents.rules.history import seller_identity
from schemas import Decision, InvoiceScored
from streams.errors import InvoiceflowError
from streams.sinks import CounterDelta, VendorFact
from streams.stage import BatchHandler, Inbound, Outcome, decode_all
from streams.tracing import trace_id_of

_MICRO = Decimal(1_000_000)


def aggregate(event: InvoiceScored) -> CounterDelta:
    """The counter increments one scored invoice causes.

    Args:
        event: The scored invoice.

    Returns:
        Increments for: invoices scored, by decision, by format, by extractor, paid pages and cost
        (micro-dollars), keyed by the event id so each event counts once.
    """
    fields: list[tuple[str, int]] = [
        ("scored", 1),
        (f"decision:{event.decision.value}", 1),
        (f"format:{event.format.value}", 1),
        (f"extractor:{event.extractor}", 1),
    ]
    if event.cost.pages:
        fields.append(("paid_pages", event.cost.pages))
        fields.append(("cost_micro_usd", int(event.cost.usd * _MICRO)))
    day = event.scored_at.date().isoformat()
    return CounterDelta(event.event_id, event.tenant_id, day, tuple(fields))


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
        outcomes, decoded = decode_all(batch, InvoiceScored)
        good = [ev for _, _, ev in decoded]
        learned = vendors_learned(good)
        traces = {(ev.tenant_id, ev.event_id): t for _, msg, ev in decoded if (t := trace_id_of(msg.headers))}
        try:
            await (await ctx.resources.records()).write_scored(good, learned, traces)
            await (await ctx.resources.counters()).apply([aggregate(ev) for ev in good])
            await (await ctx.resources.history()).learn_vendors(learned)
        except InvoiceflowError as exc:
            return [o if isinstance(o, InvoiceflowError) else exc for o in outcomes]
        return outcomes

    return handle
