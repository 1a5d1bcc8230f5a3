"""A no-op stage between extract and score (scratch: checks DEVELOPERS.md "How to add a stage")."""

from __future__ import annotations

from collections.abc import Sequence

from agents.context import StageContext
from config.topics import AUDITED
from schemas import InvoiceExtracted
from streams.codecs import encode
from streams.stage import BatchHandler, Inbound, Outbound, Outcome, decode_all


def audit(event: InvoiceExtracted) -> InvoiceExtracted:
    """Pass the extracted invoice on unchanged."""
    return event


def audit_agent(ctx: StageContext) -> BatchHandler:
    """The stage shell: decode, audit, produce."""

    async def handle(batch: Sequence[Inbound]) -> Sequence[Outcome]:
        outcomes, decoded = decode_all(batch, InvoiceExtracted, ctx.memos.events)
        for i, msg, ev in decoded:
            out = audit(ev)
            outcomes[i] = [Outbound(AUDITED, msg.key or ev.invoice_id.encode(), encode(out, ctx.memos.events),
                                    msg.out_headers)]
        return outcomes

    return handle
