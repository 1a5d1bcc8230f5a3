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

Every example is tied to its document by reference, whichever way the review came in: the review's own
reference when it names the recorded document (an ERP hook, `invoiceflow review --document`), else the one the
record kept from the scored event (a review saved on the dashboard, or by `invoiceflow review` without a file).
A document that came inline has no reference kept; its review teaches a layout only if it carries the document.
So a review of a text PDF also teaches the seller's layout (`agents.layouts`): the shell loads the document as
extract does, learns the next version of the vendor's layout from the corrected values and stores it
(`vendor_layouts`), which the extract stage picks up within `vendor_layouts_refresh_s`; and `invoiceflow train`
takes approving reviews with their documents as its training set. A document that cannot be loaded or read
teaches nothing; the example is stored all the same.

An approving review also teaches the seller to the vendors table and to the history index, as an auto-approved
invoice does (the stored name, VAT id and IBAN as the reviewer left them), unless the invoice was auto-approved
already (its approval taught it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pypdfium2 as pdfium

from agents.context import StageContext
from agents.layouts import VendorLayout, layout_from_json, layout_to_json, learn_from_review, vendor_of
from agents.rules.history import seller_identity
from schemas import (
    Decision,
    DocumentFormat,
    DocumentRef,
    FieldCorrections,
    InvoiceData,
    InvoiceReviewed,
    Party,
    extracted_fields,
)
from streams.documents import load_document
from streams.errors import InvoiceflowError, UnknownInvoice
from streams.sinks import LabelledExample, RecordedExtraction, VendorFact
from streams.sinks.layouts import StoredLayout
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
        reason_codes=recorded.reasons, document_json=_reference_json(document_of(event, recorded)),
    )


def document_of(event: InvoiceReviewed, recorded: RecordedExtraction) -> DocumentRef | None:
    """The document a review is tied to: its own when it names the recorded one, else the recorded reference.

    Args:
        event: The review, with or without a document.
        recorded: What the records hold for the invoice (its document's sha256, and its reference when kept).

    Returns:
        The reference to load the document from, or None when neither the review nor the record has one.
    """
    if event.document is not None and event.document.sha256 == recorded.document_sha256:
        return event.document
    if recorded.document_json is None:
        return None
    kept = DocumentRef.model_validate_json(recorded.document_json)
    return kept if kept.sha256 == recorded.document_sha256 else None


def _reference_json(ref: DocumentRef | None) -> str | None:
    """A reference as the example keeps it: by location only (a document sent inline is not stored)."""
    return ref.model_dump_json(exclude_none=True) if ref is not None and ref.uri is not None else None


def review_vendor(example: LabelledExample) -> VendorFact | None:
    """The seller an approving review teaches, as the reviewer left it (None when the review teaches none).

    Args:
        example: The stored example of the review.

    Returns:
        The vendor fact, tied to the review's event id; None for a rejection, an invoice auto-approved already
        (its approval taught the seller) or a seller with neither VAT id nor name.
    """
    if example.decision != "approve" or example.scored_decision == Decision.AUTO_APPROVE.value:
        return None
    if example.seller_key is None:
        return None
    said = {**example.extracted, **example.corrections}
    return VendorFact(example.tenant_id, example.seller_key, _text(said.get("seller_iban")),
                      name=_text(said.get("seller.name")), vat_id=_text(said.get("seller.vat_id")),
                      event_id=example.event_id)


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


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
            vendors = [v for e in examples if (v := review_vendor(e)) is not None]
            await store.write_examples(examples, vendors)
            if vendors:  # the history index the score stage asks "is this seller known?"
                await (await ctx.resources.history()).learn_vendors(vendors)
            for _, _, ev in decoded:
                recorded = found.get((ev.tenant_id, ev.invoice_id))
                if recorded is not None and teaches_layout(ev, recorded):
                    await _learn(ctx, ev, recorded)
        except InvoiceflowError as exc:
            return [o if isinstance(o, InvoiceflowError) else exc for o in outcomes]
        return outcomes

    return handle


def teaches_layout(event: InvoiceReviewed, recorded: RecordedExtraction) -> bool:
    """Whether a review can teach a layout: its document (its own or the recorded one) is a text PDF."""
    return document_of(event, recorded) is not None and recorded.format == DocumentFormat.TEXT_PDF.value


async def _learn(ctx: StageContext, event: InvoiceReviewed, recorded: RecordedExtraction) -> None:
    """Learn the seller's next layout version from one reviewed text PDF and store it."""
    ref = document_of(event, recorded)
    assert ref is not None
    try:
        content = await load_document(ref, ctx.settings, ctx.resources.fetcher())
    except InvoiceflowError as exc:  # a document gone or refused teaches nothing; the example stays
        _log.warning("review %s: document not loaded for layout learning (%s)", event.event_id, exc.code)
        return
    example = review(event, recorded)
    truth_vendor = vendor_of(event.corrections.seller_vat_id or example.extracted.get("seller.vat_id"),
                             event.corrections.seller_iban or example.extracted.get("seller_iban"))
    layouts = await ctx.resources.layouts()
    stored = await layouts.current([(event.tenant_id, truth_vendor)]) if truth_vendor else {}
    known: dict[str, VendorLayout] = {v: layout_from_json(s.tenant_id, s.vendor, s.version, s.body)
                                      for (_, v), s in stored.items()}
    try:
        learned = learn_from_review(content, example.extracted, example.corrections, event.tenant_id, known)
    except pdfium.PdfiumError:
        return
    if learned is not None:
        await layouts.save(StoredLayout(learned.tenant_id, learned.vendor, learned.version,
                                        layout_to_json(learned), event.event_id))


_log = logging.getLogger(__name__)
