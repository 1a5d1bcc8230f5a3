"""The extract stage's pure core for local readers: route a detected document to the reader that reads it.

E-invoice XML (bare, the attachment detect chose in a hybrid PDF, or the content of a signed envelope) goes
to the structured reader of the format detect named (`agents.readers.registry`; the part detect named, for a
file of several invoices): what
detect decided comes with its event (`detection_of`), and nothing here judges the document again. The tree
detect parsed is read as it is when the worker still holds it (`Memos.xml`), else the XML is parsed again
from the document, with the same result. A text PDF goes to the text reader. Scans, images and everything
not an invoice get no local extraction here (the paid or OCR path is another stage's business). Nothing here
raises on a bad document: a failure becomes a LocalExtraction with no invoice and a reason.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import pypdfium2 as pdfium
from opentelemetry import trace
from pydantic import ValidationError

from agents.context import StageContext
from agents.layout_reading import apply_layout, find_layout
from agents.layouts import VendorLayout, layout_from_json
from agents.paid import Extraction, escalation_reason, model_for, paid_extraction, read_paid
from agents.readers import pdf
from agents.readers._detection import Detection, DetectLimits, Parsed, reason
from agents.readers.cades import EnvelopeError, unwrap_signed
from agents.readers.pdf_text import PageLines, pdf_lines
from agents.readers.registry import READERS, reader_for, reader_of, reader_of_syntax
from agents.readers.safe_xml import XmlRefusedError, parse_xml
from agents.readers.text_layout import Document, build_document
from config.topics import EXTRACTED
from schemas import DocumentDetected, DocumentFormat, InvoiceData, InvoiceExtracted, Reason, Route, event_id_for
from streams.azure import AnalyzeOutcome, ResumeAction
from streams.codecs import decode, encode
from streams.documents import load_document, remote_url
from streams.sinks.layouts import StoredLayout
from streams.stage import BatchHandler, Inbound, Outbound, concurrently
from streams.tracing import child_span, describe

__all__ = ["LocalExtraction", "extract_agent", "extract_local", "extracted_event", "local_route"]

# formats a local reader can read again when the document is an exact resend (reading is free)
_LOCAL_FORMATS = {
    **{reader.format: Route.STRUCTURED for reader in READERS},
    DocumentFormat.HYBRID_PDF: Route.STRUCTURED,
    DocumentFormat.TEXT_PDF: Route.TEXT,
}

_TEXT_READER = "agents.readers.text_reader"
# a number no invoice states (`schemas.Amount`): beyond 10^15, or not finite
_OUT_OF_RANGE = frozenset({"less_than", "greater_than", "finite_number"})

TextReader = Callable[[Document], tuple[InvoiceData, tuple[Reason, ...]]]


@dataclass(frozen=True, slots=True)
class LocalExtraction:
    """What a local reader made of a document.

    Attributes:
        extractor: The reader used: a structured reader's (``ubl``, ``cii``, ``fatturapa``), ``text`` (or
            ``text+layout:v<n>``), ``ocr`` or ``none``.
        invoice: The fields read, or None when nothing was read.
        reasons: Findings of the reader (why nothing was read, self-check failures...).
        route: ``invalid`` when the reading shows the document breaks its standard's fatal rules (a UBL or CII
            invoice failing EN 16931: `_en16931_check`), else None (detect's route stands).
    """

    extractor: str
    invoice: InvoiceData | None
    reasons: tuple[Reason, ...] = ()
    route: Route | None = None


def _xml(detection: Detection, content: bytes) -> bytes | Reason:
    """The XML detect chose: carried on the detection, or the document itself (unwrapped when signed)."""
    if detection.xml is not None:
        return detection.xml
    if detection.format is DocumentFormat.HYBRID_PDF:  # `detection_of` reads the attachment detect chose
        return reason("attachment_unreadable", "The attachment detect chose cannot be read again.")
    if not detection.signed:
        return content
    try:  # detect checked the signature: unwrap only
        return unwrap_signed(content, max(len(content), 1), verify=False).content
    except EnvelopeError as exc:
        return reason(exc.code, exc.message)


def _structured(detection: Detection, content: bytes) -> LocalExtraction:
    root = None if detection.parsed is None else detection.parsed.root
    if root is None:
        xml = _xml(detection, content)
        if isinstance(xml, Reason):
            return LocalExtraction("none", None, (xml,))
        try:
            root = parse_xml(xml, max(len(xml), 1))  # size was vetted by detect; the DOCTYPE refusal still holds
        except XmlRefusedError as exc:
            return LocalExtraction("none", None, (reason(exc.code, exc.message),))
    # the reader detect named; a Detection built by hand without one gets the reader that recognises the root
    reader = reader_of(detection.xml_format) or reader_for(root)
    if reader is None:
        return LocalExtraction("none", None, (reason("xml_not_einvoice", "No structured reader reads this XML."),))
    try:
        invoice, broken = reader.read_judged(root, detection.part or 1)  # judged on what it read, in its one walk
    except ValidationError as exc:
        if any(error["type"] in _OUT_OF_RANGE for error in exc.errors()):
            out = reason("amount_out_of_range", "An amount is beyond any an invoice states (10^15).")
            return LocalExtraction("none", None, (out,), Route.INVALID)
        return LocalExtraction("none", None, (reason("extract_failed", "XML values do not fit the contract."),))
    if broken:
        return LocalExtraction(reader.extractor, invoice, broken, Route.INVALID)
    return LocalExtraction(reader.extractor, invoice)


def _text_reader() -> TextReader | None:
    try:
        module = importlib.import_module(_TEXT_READER)
    except ModuleNotFoundError as exc:
        if exc.name != _TEXT_READER:
            raise
        return None
    return cast(TextReader, module.read_document)


def text_lines(content: bytes, leading: PageLines | None = None, pages: int | None = None) -> PageLines:
    """A text PDF's lines, page by page: `leading` are those of its first pages when detect kept them (in this
    worker), so only the pages after them are loaded (none when they are all of its `pages`)."""
    if not leading:
        return pdf_lines(content)
    if pages is not None and len(leading) >= pages:
        return leading
    return leading + pdf_lines(content, first=len(leading))


def read_text_pdf(read_document: TextReader, content: bytes, layouts: Sequence[VendorLayout] = (),
                  lines: PageLines | None = None) -> LocalExtraction:
    """Read a text PDF (its `lines`, when they were read already) with the text reader, then with its seller's
    learned layout when one of `layouts` is the seller's (extractor ``text+layout:v<version>`` when the layout
    read at least one field)."""
    doc = build_document(lines if lines is not None else pdf_lines(content))
    invoice, reasons = read_document(doc)
    layout = find_layout(layouts, invoice, doc) if layouts and doc.rows else None
    if layout is None:
        return LocalExtraction("text", invoice, reasons)
    laid, kept, read = apply_layout(layout, doc, invoice, reasons)
    return LocalExtraction(f"text+layout:v{layout.version}", laid, kept) if read else LocalExtraction(
        "text", invoice, reasons)


def extract_local(detection: Detection, content: bytes, layouts: Sequence[VendorLayout] = ()) -> LocalExtraction:
    """Read a detected document with the local reader its route names.

    Args:
        detection: What `agents.detect.detect` found (its route and, for e-invoices, the XML).
        content: The document bytes.
        layouts: The tenant's learned vendor layouts (`agents.layouts`); a text PDF whose seller has one is
            read with it too.

    Returns:
        The extraction: the structured reader's extractor (``ubl``, ``cii``, ``fatturapa``) for route
        structured, ``text`` (or ``text+layout:v<n>``) for route text, and ``none`` (no invoice) for every
        other route or when the reader is unavailable.
    """
    if detection.route is Route.STRUCTURED:
        return _structured(detection, content)
    if detection.route is Route.TEXT:
        read_document = _text_reader()
        if read_document is None:
            missing = reason("text_reader_missing", f"The text reader ({_TEXT_READER}) is not installed.")
            return LocalExtraction("none", None, (missing,))
        try:
            return read_text_pdf(read_document, content, layouts,
                                 text_lines(content, detection.lines, detection.pages))
        except pdfium.PdfiumError:
            return LocalExtraction("none", None, (reason("pdf_corrupt", "The text reader cannot open the PDF."),))
    return LocalExtraction("none", None)


def extracted_event(detected: DocumentDetected, got: Extraction, now: datetime) -> InvoiceExtracted:
    """The `invoices.extracted` event for a reading (detection findings first, then the reader's); its route
    is detect's, or ``invalid`` when the reading found the document breaks its standard's fatal rules."""
    return InvoiceExtracted(
        event_id=event_id_for("extract", detected.invoice_id, detected.event_id),
        invoice_id=detected.invoice_id, tenant_id=detected.tenant_id, received_at=detected.received_at,
        extracted_at=now, detected_at=detected.detected_at, document=detected.document, format=detected.format,
        route=got.route or detected.route, extractor=got.extractor, invoice=got.invoice,
        local_reading=got.local_reading, pages=got.pages or detected.pages or 0, cost=got.cost,
        reasons=(*detected.reasons, *got.reasons), duplicate_of=detected.duplicate_of,
    )


def local_route(detected: DocumentDetected) -> Route | None:
    """The local reader's route for a detected document (a duplicate is read again: reading is free)."""
    if detected.route in (Route.STRUCTURED, Route.TEXT):
        return detected.route
    if detected.route is Route.DUPLICATE:
        return _LOCAL_FORMATS.get(detected.format)
    return None


def detection_of(detected: DocumentDetected, route: Route, content: bytes, limits: DetectLimits,
                 parsed: Parsed | None = None, lines: PageLines | None = None) -> Detection:
    """The Detection the local readers need, from detect's decision as its event carries it: the XML's format
    (its reader), whether it is signed, the attachment chosen in a hybrid PDF and the part. Nothing is judged
    again: with `parsed` (the XML detect parsed in this worker) nothing is read again either; without, a
    hybrid PDF's attachment is read by the name detect chose (the bytes are the very ones detect vetted:
    their sha256 was checked on load). With `lines` (a text PDF's leading pages, read by detect in this
    worker), those pages are not loaded again. A version-1 event, which carries the XML's format and the
    signature only in its syntax and reasons, is read from those."""
    xml_format, signed = detected.xml_format, detected.signed
    if detected.schema_version == 1:
        xml_format, signed = _version_1(detected)
    xml = None
    if parsed is None and detected.format is DocumentFormat.HYBRID_PDF and detected.embedded_xml:
        xml = embedded_xml(content, detected.embedded_xml, limits.max_xml_bytes)
    return Detection(format=detected.format, doc_type=detected.doc_type, route=route, part=detected.part,
                     embedded_xml=detected.embedded_xml, signed=signed, xml=xml, xml_format=xml_format,
                     parsed=parsed, pages=detected.pages, lines=lines)


def _version_1(detected: DocumentDetected) -> tuple[DocumentFormat | None, bool]:
    """The XML's format and the signature of a version-1 event: detect wrote its syntax from the XML's own
    format (the reader's whose syntaxes it begins with: ``ubl...``, ``fatturapa-...``, ``cii-...``,
    ``zugferd-...``, ``order-x``) and gave every signed document a reason saying whether its signature
    verifies."""
    reader = reader_of_syntax(detected.syntax or "")
    xml_format = None if reader is None else reader.format
    signed = any(r.code in _SIGNATURE_REASONS for r in detected.reasons)
    return xml_format, signed


def embedded_xml(content: bytes, name: str, max_bytes: int) -> bytes | None:
    """The bytes of the PDF attachment called `name` (None when absent, unreadable or too large)."""
    try:
        document = pdf.open_pdf(content)
    except pdf.PdfRefusedError:
        return None
    try:
        found = next((a for a in pdf.attachments(document) if a.name == name), None)
        return pdf.read_attachment(document, found.index, max_bytes) if found else None
    finally:
        document.close()


def ocr_local(detected_format: DocumentFormat, content: bytes) -> Extraction:
    """Read a scan or an image with local OCR (Tesseract) and the text reader; runs in a worker process."""
    from agents.readers.ocr import OcrError, read_image, read_scanned_pdf

    try:
        if detected_format is DocumentFormat.IMAGE:
            invoice, reasons = read_image(content)
        else:
            invoice, reasons = read_scanned_pdf(content)
    except OcrError as exc:
        return Extraction("none", None, (reason("ocr_failed", f"Local OCR failed: {type(exc).__name__}."),))
    return Extraction("ocr", invoice, reasons)


def needs_ocr(detected: DocumentDetected) -> bool:
    """Whether the document is a scan or image, to be read by OCR or the paid service."""
    return detected.route is Route.OCR or (detected.route is Route.DUPLICATE and detected.format in _SCAN_FORMATS)


def extract_agent(ctx: StageContext) -> BatchHandler:
    """The stage shell: load the document, read it with the cheapest reader that can, produce.

    Local readers run inline (milliseconds); OCR runs in a process pool; the paid service is called for
    scans (when local OCR is off) and for text readings that cannot be trusted. With the paid service on,
    the stage runs windowed, so many documents are in flight while offsets stay safe.
    """
    limits = DetectLimits.from_settings(ctx.settings)
    memos = ctx.memos
    procs: list[ProcessPoolExecutor] = []

    async def paid(detected: DocumentDetected, content: bytes | None, local: InvoiceData | None,
                   why: Reason | None, span: trace.Span) -> Extraction | None:
        policy = ctx.policy(detected.tenant_id)
        extractor = await ctx.resources.paid_extractor(ctx.page_budgets)
        if extractor is None:
            return None
        custom = await (await ctx.resources.model_routes()).for_tenant(detected.tenant_id)
        model = model_for(policy, local, ctx.settings.azure_model, custom)
        with child_span(ctx.tracer, span, "invoiceflow.paid_extraction", trace.SpanKind.CLIENT) as call:
            outcome = await read_paid(extractor, detected, content, model, ctx.settings.azure_time_budget_s)
            describe(call, detected, **_paid_attributes(outcome))
        _count_paid(ctx, outcome)
        return paid_extraction(outcome, local, why)

    async def read(detected: DocumentDetected, span: trace.Span) -> Extraction:
        route = local_route(detected)
        if route is not None:
            content = await load_document(detected.document, ctx.settings, ctx.resources.fetcher(), memos.documents)
            parsed = memos.xml.take(detected.event_id) if memos.xml is not None and route is Route.STRUCTURED else None
            lines = memos.text.take(detected.event_id) if memos.text is not None and route is Route.TEXT else None
            layouts = await (await ctx.resources.vendor_layouts(_parsed)).for_tenant(detected.tenant_id) if (
                route is Route.TEXT) else ()
            local = extract_local(detection_of(detected, route, content, limits, parsed, lines), content, layouts)
            got = Extraction(local.extractor, local.invoice, local.reasons, route=local.route)
            why = escalation_reason(local.invoice, local.reasons, ctx.policy(detected.tenant_id))
            if not local.extractor.startswith("text") or why is None:
                return got
            return await paid(detected, content, local.invoice, why, span) or got
        if not needs_ocr(detected):
            return Extraction("none", None)
        if ctx.settings.ocr == "tesseract":
            content = await load_document(detected.document, ctx.settings, ctx.resources.fetcher(), memos.documents)
            if not procs:
                procs.append(ProcessPoolExecutor(max_workers=os.cpu_count() or 1))
            return await asyncio.get_running_loop().run_in_executor(procs[0], ocr_local, detected.format, content)
        scan = None if remote_url(detected.document) else await load_document(
            detected.document, ctx.settings, ctx.resources.fetcher(), memos.documents)
        return await paid(detected, scan, None, None, span) or Extraction("none", None, (_NO_PAID,))

    async def handle_one(msg: Inbound) -> Sequence[Outbound]:
        detected = decode(DocumentDetected, msg.value, memos.events)
        extracted = extracted_event(detected, await read(detected, msg.span), datetime.now(UTC))
        describe(msg.span, extracted)
        value = encode(extracted, memos.events)
        return [Outbound(EXTRACTED, msg.key or detected.invoice_id.encode(), value, msg.out_headers)]

    return concurrently(handle_one)


def _parsed(stored: StoredLayout) -> VendorLayout:
    return layout_from_json(stored.tenant_id, stored.vendor, stored.version, stored.body)


def _paid_attributes(outcome: AnalyzeOutcome) -> dict[str, str | int | float]:
    """What the paid call's span says: model, endpoint name, how the result was had, pages, cost."""
    return {"invoiceflow.paid.model": outcome.model_id, "invoiceflow.paid.endpoint": outcome.endpoint,
            "invoiceflow.paid.source": outcome.source.value, "invoiceflow.paid.pages": outcome.pages,
            "invoiceflow.paid.submissions": outcome.submissions, "invoiceflow.paid.usd": float(outcome.usd)}


def _count_paid(ctx: StageContext, outcome: AnalyzeOutcome) -> None:
    seen = ctx.observations
    seen.paid_documents[outcome.source.value] += 1
    if outcome.source is not ResumeAction.REUSE:  # a reused result was paid for once, when it was made
        seen.paid_pages += outcome.pages
        seen.paid_usd += float(outcome.usd)


_SCAN_FORMATS = frozenset({DocumentFormat.SCANNED_PDF, DocumentFormat.IMAGE})
_SIGNATURE_REASONS = frozenset({"signed_cades", "signature_not_verified"})  # see `detect_signed`
_NO_PAID = Reason(code="paid_extraction_unavailable",
                  message="A scan needs OCR: local OCR is off and no paid extractor is configured.")
