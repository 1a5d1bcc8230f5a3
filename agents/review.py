"""Review: store what a reviewer said about an invoice as a labelled example, tied to what it corrects.

The pure core compares the review with the extraction the records hold for the invoice (the scored event,
its extractor, document, decision, score and fields): each field that was read or corrected is right when
the reviewer left it unchanged (absent from the corrections, or corrected to the value already read). The
vendor is the seller as the reviewer knows it (the corrected VAT id or name, else the extracted one), so a
misread seller is counted under the right vendor. The shell looks up the extractions of a batch (one round
trip), builds the examples and stores them (one round trip, idempotent: a resent review changes nothing). A
review of an invoice the tenant's records do not hold is dead-lettered (`unknown_invoice`); one that breaks
its contract (an unknown field name, a value of the wrong type) is dead-lettered by the decoder
(`schema_error`, naming the field); the worker goes on.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.context import StageContext
from agents.rules.history import seller_identity
from schemas import FieldCorrections, InvoiceData, InvoiceReviewed, Party, extracted_fields
from streams.errors import InvoiceflowError, UnknownInvoice
from streams.sinks import LabelledExample, RecordedExtraction
from streams.stage import BatchHandler, Inbound, Outcome, decode_all
from streams.tracing import describe


def review(event: InvoiceReviewed, recorded: RecordedExtraction) -> LabelledExample:
    """The labelled example one review makes of the extraction it corrects.

    Args:
        event: The review: corrected values, final decision, reviewer, time.
        recorded: What the records hold for the invoice (the extraction and the decision it corrects).

    Returns:
        The example: the fields as extracted and as corrected, which of them were right, the vendor, the
        document and the scored event it is tied to, the reviewer's decision.
    """
    invoice = InvoiceData.model_validate_json(recorded.invoice_json) if recorded.invoice_json else None
    read = extracted_fields(invoice) if invoice else FieldCorrections()
    extracted, corrected = read.values(), event.corrections.values()
    right = {name: name not in corrected or _same(corrected[name], extracted.get(name))
             for name in (*extracted, *(n for n in corrected if n not in extracted))}
    return LabelledExample(
        tenant_id=event.tenant_id, invoice_id=event.invoice_id, event_id=event.event_id,
        document_sha256=recorded.document_sha256, extraction_event_id=recorded.event_id,
        extractor=recorded.extractor, seller_key=_vendor(read, event.corrections),
        scored_decision=recorded.decision, score=recorded.score,
        extracted=read.model_dump(mode="json", exclude_none=True),
        corrections=event.corrections.model_dump(mode="json", exclude_none=True),
        fields_right=right, decision=event.decision.value, reviewer=event.reviewer, reviewed_at=event.reviewed_at,
        reason_codes=recorded.reasons,
    )


def _same(corrected: object, extracted: object) -> bool:
    if isinstance(corrected, str) and isinstance(extracted, str):
        return corrected.strip() == extracted.strip()
    return corrected == extracted


def _vendor(read: FieldCorrections, corrections: FieldCorrections) -> str | None:
    name = corrections.seller_name or read.seller_name
    vat_id = corrections.seller_vat_id or read.seller_vat_id
    return seller_identity(InvoiceData(seller=Party(name=name, vat_id=vat_id)))


def review_agent(ctx: StageContext) -> BatchHandler:
    """The stage shell: decode a batch, look up what each review corrects, store the examples."""

    async def handle(batch: Sequence[Inbound]) -> Sequence[Outcome]:
        outcomes, decoded = decode_all(batch, InvoiceReviewed, ctx.memos.events)
        examples = []
        try:
            store = await ctx.resources.reviews()
            found = await store.extractions([(ev.tenant_id, ev.invoice_id) for _, _, ev in decoded])
            for i, msg, ev in decoded:
                recorded = found.get((ev.tenant_id, ev.invoice_id))
                if recorded is None:
                    outcomes[i] = UnknownInvoice(f"review {ev.event_id}: tenant {ev.tenant_id!r} has no invoice "
                                                 f"{ev.invoice_id!r} in the records")
                    continue
                examples.append(review(ev, recorded))
                describe(msg.span, ev)
            await store.write_examples(examples)
        except InvoiceflowError as exc:
            return [o if isinstance(o, InvoiceflowError) else exc for o in outcomes]
        return outcomes

    return handle
