"""The detect stage's pure core: what a document is, judged from its bytes, and the cheapest reader for it.

`detect` never raises and never trusts its input. Size is checked before anything is parsed; XML goes
through the hardened parser (a DOCTYPE is refused); PDF streams are measured for decompression bombs before
PDFium opens the file; images are sized from their header alone; the time budget is checked between phases.
Every refusal is a Detection with route ``invalid`` and a reason code, so the agent shell only has to copy
it into a `DocumentDetected` event. Deciding ``duplicate`` needs state (seen digests) and is left to the shell.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import cast

import pypdfium2 as pdfium
from lxml import etree

from agents.context import StageContext
from agents.readers import _pdf_guard, pdf
from agents.readers._detection import Detection, DetectLimits, reason
from agents.readers._doctypes import CII_ROOTS, UBL_INVOICE_ROOTS, doc_type_for
from agents.readers._image import ImageRefusedError, image_kind, probe_image
from agents.readers._xpath import localname, path, text_at
from agents.readers.cii import cii_type_code
from agents.readers.safe_xml import XmlRefusedError, parse_xml
from agents.readers.ubl import ubl_type_code
from config.topics import DETECTED
from schemas import (
    INVOICE_LIKE,
    DocType,
    DocumentDetected,
    DocumentFormat,
    InvoiceReceived,
    Reason,
    Route,
    event_id_for,
)
from streams.codecs import encode
from streams.documents import load_document
from streams.errors import InvoiceflowError, UnknownTenant
from streams.stage import BatchHandler, Inbound, Outbound, Outcome, decode_all

__all__ = ["DetectLimits", "Detection", "detect", "detect_agent", "detected_event", "xml_identity"]

_EXTRACTABLE = frozenset({Route.STRUCTURED, Route.TEXT, Route.OCR})

_UBL_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:"
_UBL_VERSION = path("UBLVersionID")
_UBL_SHAPE = path("IssueDate")
_KNOWN_ATTACHMENTS = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
_NOT_INVOICE_CONFIDENCE = 0.5
_OTHER_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"GIF87a", b"GIF89a", b"{\\rtf", b"BM")


class _BudgetExceededError(Exception):
    pass


def _invalid(code: str, message: str, fmt: DocumentFormat = DocumentFormat.UNSUPPORTED) -> Detection:
    return Detection(format=fmt, doc_type=DocType.UNKNOWN, route=Route.INVALID, reasons=(reason(code, message),))


def _unsupported(code: str, message: str, fmt: DocumentFormat = DocumentFormat.UNSUPPORTED) -> Detection:
    return Detection(format=fmt, doc_type=DocType.UNKNOWN, route=Route.UNSUPPORTED, reasons=(reason(code, message),))


def _check_budget(deadline: float) -> None:
    if time.perf_counter() > deadline:
        raise _BudgetExceededError


def xml_identity(root: etree._Element) -> tuple[DocumentFormat, DocType, str | None, str | None]:
    """Say what a parsed XML document is: format, doc type, UNTDID 1001 type code and syntax.

    Args:
        root: The root element of a document parsed by `safe_xml.parse_xml`.

    Returns:
        ``(format, doc_type, type_code, syntax)``; ``XML_OTHER`` and ``UNKNOWN`` for XML that is neither
        UBL nor CII.
    """
    name = localname(root)
    if name in CII_ROOTS:
        code = cii_type_code(root)
        syntax = "zugferd-1.0" if name == "CrossIndustryDocument" else "cii-d16b"
        return DocumentFormat.CII, doc_type_for(name, code), code, syntax
    namespace = etree.QName(root).namespace or ""
    if namespace.startswith(_UBL_NAMESPACE) or (name in UBL_INVOICE_ROOTS and _UBL_SHAPE(root)):
        code = ubl_type_code(root) if name in UBL_INVOICE_ROOTS else None
        version = text_at(_UBL_VERSION, root)
        return DocumentFormat.UBL, doc_type_for(name, code), code, f"ubl-{version}" if version else "ubl"
    return DocumentFormat.XML_OTHER, DocType.UNKNOWN, None, None


def _structured(root: etree._Element, xml: bytes, pages: int | None, embedded: str | None) -> Detection:
    """A Detection for e-invoice XML, bare (`embedded` None) or attached to a hybrid PDF."""
    xml_format, doc_type, code, syntax = xml_identity(root)
    if xml_format is DocumentFormat.XML_OTHER:
        return _unsupported("xml_not_einvoice", "XML is neither UBL nor CII.", DocumentFormat.XML_OTHER)
    invoice_like = doc_type in INVOICE_LIKE
    reasons = () if invoice_like else (reason("not_invoice", f"Document is a {doc_type.value}."),)
    return Detection(
        format=xml_format if embedded is None else DocumentFormat.HYBRID_PDF,
        doc_type=doc_type,
        route=Route.STRUCTURED if invoice_like else Route.NOT_INVOICE,
        type_code=code,
        syntax=syntax,
        pages=pages,
        embedded_xml=embedded,
        reasons=reasons,
        xml=xml if invoice_like else None,
    )


def _detect_xml(content: bytes, limits: DetectLimits) -> Detection:
    try:
        root = parse_xml(content, limits.max_xml_bytes)
    except XmlRefusedError as exc:
        return _invalid(exc.code, exc.message, DocumentFormat.XML_OTHER)
    return _structured(root, content, None, None)


def _choose_attachment(
    document: pdfium.PdfDocument, limits: DetectLimits
) -> tuple[str, bytes, etree._Element] | tuple[None, tuple[Reason, ...]]:
    """Pick the richest invoice XML among a PDF's attachments (most elements, then most bytes)."""
    best: tuple[tuple[int, int, int], str, bytes, etree._Element] | None = None
    notes: list[Reason] = []
    for info in pdf.attachments(document):
        if not info.name.lower().endswith(".xml"):
            continue
        data = pdf.read_attachment(document, info.index, limits.max_xml_bytes)
        if data is None:
            notes.append(reason("attachment_unreadable", "An XML attachment is empty or too large."))
            continue
        try:
            root = parse_xml(data, limits.max_xml_bytes)
        except XmlRefusedError as exc:
            notes.append(reason(f"attachment_{exc.code}", f"An XML attachment was refused: {exc.message}"))
            continue
        fmt, doc_type, _, _ = xml_identity(root)
        if fmt is DocumentFormat.XML_OTHER or doc_type not in INVOICE_LIKE:
            continue
        known = int(info.name.lower() in _KNOWN_ATTACHMENTS)
        rank = (int(root.xpath("count(//*)")), len(data), known)  # type: ignore[arg-type]
        if best is None or rank > best[0]:
            best = (rank, info.name, data, root)
    if best is None:
        return None, tuple(notes)
    return best[1], best[2], best[3]


def _classify_text(text: str) -> tuple[DocType, bool, tuple[Reason, ...]]:
    """Ask the local text classifier (agents.readers.classify) what a text PDF is.

    Returns:
        The doc type, whether the text reader should read it, and the reasons. Only a confident verdict of
        "not an invoice" keeps a text PDF from being read: losing an invoice costs more than reading a letter.
    """
    try:
        module = importlib.import_module("agents.readers.classify")
    except ModuleNotFoundError as exc:
        if exc.name != "agents.readers.classify":
            raise
        # TODO(issue 3): drop this fallback if agents/readers/classify.py is ever removed.
        return DocType.INVOICE, True, (reason("classifier_missing", "No text classifier; assumed an invoice."),)
    classify = cast(Callable[[str], tuple[DocType, float]], module.classify_text)
    doc_type, confidence = classify(text)
    if doc_type in INVOICE_LIKE or doc_type is DocType.UNKNOWN:
        return doc_type, True, ()
    if confidence < _NOT_INVOICE_CONFIDENCE:
        return DocType.UNKNOWN, True, (reason("classification_uncertain", "Text type is uncertain; read it."),)
    return doc_type, False, (reason("not_invoice", f"Text reads as a {doc_type.value}."),)


def _detect_pdf(content: bytes, limits: DetectLimits, deadline: float, with_xml: bool) -> Detection:
    if _pdf_guard.looks_truncated(content):
        return _invalid("pdf_truncated", "PDF has no end-of-file marker.")
    try:
        _pdf_guard.check_streams(content, limits.max_inflated_bytes, deadline)
    except _pdf_guard.InflateLimitError:
        msg = f"A PDF stream inflates past {limits.max_inflated_bytes} bytes."
        return _invalid("pdf_stream_bomb", msg)
    except _pdf_guard.TimeBudgetError as exc:
        raise _BudgetExceededError from exc
    _check_budget(deadline)
    try:
        document = pdf.open_pdf(content)
    except pdf.PdfRefusedError as exc:
        if exc.code == "pdf_encrypted":
            return _unsupported(exc.code, exc.message)
        return _invalid(exc.code, exc.message)
    try:
        pages = pdf.page_count(document)
        if pages == 0:
            return _invalid("pdf_corrupt", "PDF has no pages.")
        if pages > limits.max_pages:
            return _invalid("pdf_too_many_pages", f"PDF has {pages} pages; the limit is {limits.max_pages}.")
        _check_budget(deadline)
        notes: tuple[Reason, ...] = ()
        if with_xml:
            chosen = _choose_attachment(document, limits)
            if chosen[0] is not None:
                name, xml, root = chosen
                return _structured(root, xml, pages, name)
            notes = chosen[1]
        _check_budget(deadline)
        has_text, text = pdf.has_text_layer(document)
    finally:
        document.close()
    if not has_text:
        return Detection(
            format=DocumentFormat.SCANNED_PDF, doc_type=DocType.UNKNOWN, route=Route.OCR, pages=pages,
            reasons=notes,
        )  # fmt: skip
    doc_type, readable, classified = _classify_text(text)
    return Detection(
        format=DocumentFormat.TEXT_PDF,
        doc_type=doc_type,
        route=Route.TEXT if readable else Route.NOT_INVOICE,
        pages=pages,
        reasons=notes + classified,
    )


def _detect_image(content: bytes, limits: DetectLimits) -> Detection:
    try:
        probe = probe_image(content, limits.max_image_pixels, limits.max_pages)
    except ImageRefusedError as exc:
        return _invalid(exc.code, exc.message, DocumentFormat.IMAGE)
    return Detection(format=DocumentFormat.IMAGE, doc_type=DocType.UNKNOWN, route=Route.OCR, pages=probe.frames)


def _looks_xml(content: bytes) -> bool:
    head = content[:256].removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<") or head[:2] in (b"\xff\xfe", b"\xfe\xff")


def _looks_html(content: bytes) -> bool:
    head = content[:512].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _looks_text(content: bytes) -> bool:
    sample = content[:4096]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(1 for ch in text if ch.isprintable() or ch.isspace()) >= 0.95 * len(text)


def _detect(content: bytes, limits: DetectLimits, deadline: float, with_xml: bool) -> Detection:
    if not content:
        return _invalid("empty", "The document is empty.")
    if len(content) > limits.max_bytes:
        return _invalid("too_large", f"Document of {len(content)} bytes exceeds {limits.max_bytes}.")
    if b"%PDF-" in content[:1024]:
        return _detect_pdf(content, limits, deadline, with_xml)
    if image_kind(content) is not None:
        return _detect_image(content, limits)
    if _looks_html(content):
        return _unsupported("unsupported_format", "HTML is not an invoice format we read.")
    if _looks_xml(content):
        return _detect_xml(content, limits)
    if content.startswith(_OTHER_SIGNATURES) or _looks_text(content):
        return _unsupported("unsupported_format", "Not a PDF, image or XML e-invoice.")
    # No signature of any format at all: corrupt or deliberately garbled, not merely another format.
    return _invalid("unrecognised_content", "Content matches no known file format.")


def detect(content: bytes, limits: DetectLimits, *, ignore_embedded_xml: bool = False) -> Detection:
    """Judge what a document is from its bytes and choose the route that reads it most cheaply.

    Args:
        content: The document bytes, untrusted.
        limits: The safety limits (size, pages, XML size, inflated size, pixels, time budget).
        ignore_embedded_xml: Treat a hybrid PDF as the text PDF it also is (evaluation of the text reader).

    Returns:
        The Detection. Never raises: hostile or corrupt input gives route ``invalid`` with a reason code
        (``empty``, ``too_large``, ``xml_doctype_forbidden``, ``xml_malformed``, ``xml_too_large``,
        ``pdf_truncated``, ``pdf_corrupt``, ``pdf_too_many_pages``, ``pdf_stream_bomb``, ``image_bomb``,
        ``image_corrupt``, ``unrecognised_content``, ``time_budget_exceeded`` or ``detect_failed``).
    """
    deadline = time.perf_counter() + limits.time_budget_s
    try:
        detection = _detect(content, limits, deadline, not ignore_embedded_xml)
    except _BudgetExceededError:
        return _invalid("time_budget_exceeded", f"Detection took longer than {limits.time_budget_s} s.")
    except Exception as exc:  # noqa: BLE001 - the contract: hostile bytes never crash the stage
        return _invalid("detect_failed", f"Detection failed ({type(exc).__name__}).")
    if time.perf_counter() > deadline:
        return _invalid("time_budget_exceeded", f"Detection took longer than {limits.time_budget_s} s.")
    return detection


def detected_event(received: InvoiceReceived, detection: Detection, duplicate_of: str | None,
                   now: datetime) -> DocumentDetected:
    """The `invoices.detected` event for one detection; a document already seen for the tenant is routed
    `duplicate` (so nothing is paid for twice) unless it was refused anyway."""
    route = detection.route
    if duplicate_of is not None and route in _EXTRACTABLE:
        route = Route.DUPLICATE
    return DocumentDetected(
        event_id=event_id_for("detect", received.invoice_id, received.event_id),
        invoice_id=received.invoice_id, tenant_id=received.tenant_id, received_at=received.received_at,
        detected_at=now, document=received.document, format=detection.format, doc_type=detection.doc_type,
        type_code=detection.type_code, syntax=detection.syntax, route=route, reasons=detection.reasons,
        pages=detection.pages, embedded_xml=detection.embedded_xml, duplicate_of=duplicate_of,
    )


def detect_agent(ctx: StageContext) -> BatchHandler:
    """The stage shell: decode, refuse unknown tenants, load each document, detect, claim its digest."""
    limits = DetectLimits.from_settings(ctx.settings)

    async def handle(batch: Sequence[Inbound]) -> Sequence[Outcome]:
        ctx.policies.maybe_reload()
        outcomes, decoded = decode_all(batch, InvoiceReceived)
        todo: list[tuple[int, Inbound, InvoiceReceived, Detection]] = []
        for i, msg, ev in decoded:
            try:
                if ctx.policies.current().policy_for(ev.tenant_id) is None:
                    raise UnknownTenant(f"tenant {ev.tenant_id!r} has no policy and unknown tenants are refused")
                todo.append((i, msg, ev, detect(await load_document(ev.document, ctx.settings), limits)))
            except InvoiceflowError as exc:
                outcomes[i] = exc
        claims = [(ev.tenant_id, ev.document.sha256, ev.invoice_id) for _, _, ev, _ in todo]
        owners = await (await ctx.resources.dedupe()).claim(claims)
        now = datetime.now(UTC)
        for (i, msg, ev, found), owner in zip(todo, owners, strict=True):
            value = encode(detected_event(ev, found, owner, now))
            outcomes[i] = [Outbound(DETECTED, msg.key or ev.invoice_id.encode(), value, msg.out_headers)]
        return outcomes

    return handle
