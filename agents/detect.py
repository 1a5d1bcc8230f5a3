"""The detect stage's pure core: what a document is, judged from its bytes, and the cheapest reader for it.

`detect` never raises and never trusts its input. Size is checked before anything is parsed; XML goes
through the hardened parser (a DOCTYPE is refused); PDF streams are measured for decompression bombs before
PDFium opens the file; images are sized from their header alone; a signed envelope is read by a bounded BER
reader; the time budget is checked between phases. Every refusal is a Detection with route ``invalid`` and a
reason code, so the agent shell only has to copy it into a `DocumentDetected` event, or into one event per
invoice for a file that holds several (`detected_events`). Deciding ``duplicate`` needs state (seen digests)
and is left to the shell.

This module sniffs the format and holds the contract (size first, never raise, the budget at the end); the
checks for PDF and XML live beside their readers, in `agents.readers._pdf_detection` and `_xml_detection`
(which asks the e-invoice syntax's entry in `agents.readers.registry`), and every refusal Detection is built
by `agents.readers._refusals` (but for a syntax entry's `misfit`, the UBL block order's, which keeps what the
document is).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from agents.context import StageContext, TextMemo, XmlMemo
from agents.readers._detection import Detection, DetectLimits, Parsed, reason
from agents.readers._image import ImageRefusedError, image_kind, probe_image
from agents.readers._pdf_detection import detect_pdf
from agents.readers._refusals import BudgetExceededError, invalid, unsupported
from agents.readers._xml_detection import detect_signed, detect_xml
from agents.readers.cades import looks_signed
from agents.readers.pdf_text import PageLines
from config.topics import DETECTED
from schemas import (
    INVOICE_LIKE,
    DocType,
    DocumentDetected,
    DocumentFormat,
    InvoiceReceived,
    Route,
    event_id_for,
    part_invoice_id,
)
from streams.codecs import encode
from streams.documents import load_documents
from streams.errors import InvoiceflowError, UnknownTenant
from streams.recent import Recent
from streams.stage import BatchHandler, Inbound, Outbound, Outcome, decode_all
from streams.tracing import describe

__all__ = ["DetectLimits", "Detection", "detect", "detect_agent", "detected_event", "detected_events"]

_EXTRACTABLE = frozenset({Route.STRUCTURED, Route.TEXT, Route.OCR})
_READ_AGAIN = frozenset({Route.STRUCTURED, Route.TEXT, Route.DUPLICATE})  # what extract reads locally

T = TypeVar("T")

_OTHER_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"GIF87a", b"GIF89a", b"{\\rtf", b"BM")


def _detect_image(content: bytes, limits: DetectLimits) -> Detection:
    try:
        probe = probe_image(content, limits.max_image_pixels, limits.max_pages)
    except ImageRefusedError as exc:
        return invalid(exc.code, exc.message, DocumentFormat.IMAGE)
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


def _detect(content: bytes, limits: DetectLimits, deadline: float, with_xml: bool, keep_lines: bool) -> Detection:
    if not content:
        return invalid("empty", "The document is empty.")
    if len(content) > limits.max_bytes:
        return invalid("too_large", f"Document of {len(content)} bytes exceeds {limits.max_bytes}.")
    if b"%PDF-" in content[:1024]:
        return detect_pdf(content, limits, deadline, with_xml, keep_lines)
    if image_kind(content) is not None:
        return _detect_image(content, limits)
    if _looks_html(content):
        return unsupported("unsupported_format", "HTML is not an invoice format we read.")
    if _looks_xml(content):
        return detect_xml(content, limits)
    if looks_signed(content):
        return detect_signed(content, limits)
    if content.startswith(_OTHER_SIGNATURES) or _looks_text(content):
        return unsupported("unsupported_format", "Not a PDF, image or XML e-invoice.")
    # No signature of any format at all: corrupt or deliberately garbled, not merely another format.
    return invalid("unrecognised_content", "Content matches no known file format.")


def detect(content: bytes, limits: DetectLimits, *, ignore_embedded_xml: bool = False,
           keep_lines: bool = False) -> Detection:
    """Judge what a document is from its bytes and choose the route that reads it most cheaply.

    Args:
        content: The document bytes, untrusted.
        limits: The safety limits (size, pages, XML size, inflated size, pixels, time budget).
        ignore_embedded_xml: Treat a hybrid PDF as the text PDF it also is (evaluation of the text reader).
        keep_lines: On a text PDF for the text reader, keep the lines of the pages the text probe loaded
            (`Detection.lines`), for an extraction in this process (the same result, those pages not loaded
            again); the route and everything else are the same either way.

    Returns:
        The Detection. Never raises: hostile or corrupt input gives route ``invalid`` with a reason code
        (``empty``, ``too_large``, ``xml_doctype_forbidden``, ``xml_malformed``, ``xml_too_large``,
        ``pdf_truncated``, ``pdf_corrupt``, ``pdf_too_many_pages``, ``pdf_stream_bomb``, ``image_bomb``,
        ``image_corrupt``, ``unrecognised_content``, ``signature_envelope_corrupt``, ``signature_envelope_empty``,
        ``signature_envelope_too_large``, ``fatturapa_schema_invalid``, ``fatturapa_invalid_value``,
        ``fatturapa_too_large``, ``ubl_schema_order``, ``time_budget_exceeded`` or ``detect_failed``). The
        EN 16931 business rules are judged by extract, on what the reader reads (``en16931_<rule>``).
    """
    deadline = time.perf_counter() + limits.time_budget_s
    try:
        detection = _detect(content, limits, deadline, not ignore_embedded_xml, keep_lines)
    except BudgetExceededError:
        return invalid("time_budget_exceeded", f"Detection took longer than {limits.time_budget_s} s.")
    except Exception as exc:  # noqa: BLE001 - the contract: hostile bytes never crash the stage
        return invalid("detect_failed", f"Detection failed ({type(exc).__name__}).")
    if time.perf_counter() > deadline:
        return invalid("time_budget_exceeded", f"Detection took longer than {limits.time_budget_s} s.")
    return detection


def detected_event(received: InvoiceReceived, detection: Detection, duplicate_of: str | None,
                   now: datetime) -> DocumentDetected:
    """The `invoices.detected` event for one detection; a document already seen for the tenant is routed
    `duplicate` (so nothing is paid for twice) unless it was refused anyway. A detection of one part of a
    file (`Detection.part`) is about that part's invoice id (`part_invoice_id`)."""
    route = detection.route
    if duplicate_of is not None and route in _EXTRACTABLE:
        route = Route.DUPLICATE
    invoice_id = received.invoice_id
    if detection.part is not None:
        invoice_id = part_invoice_id(invoice_id, detection.part)
        duplicate_of = None if duplicate_of is None else part_invoice_id(duplicate_of, detection.part)
    return DocumentDetected(
        event_id=event_id_for("detect", invoice_id, received.event_id),
        invoice_id=invoice_id, tenant_id=received.tenant_id, received_at=received.received_at,
        detected_at=now, document=received.document, format=detection.format, doc_type=detection.doc_type,
        type_code=detection.type_code, syntax=detection.syntax, route=route, reasons=detection.reasons,
        pages=detection.pages, embedded_xml=detection.embedded_xml, xml_format=detection.xml_format,
        signed=detection.signed, duplicate_of=duplicate_of, part=detection.part,
    )


def detected_events(received: InvoiceReceived, detection: Detection, duplicate_of: str | None,
                    now: datetime) -> list[DocumentDetected]:
    """One `invoices.detected` event per invoice the document holds.

    A file of several invoices (a FatturaPA with several bodies) gives one event per part, each with its own
    invoice id (``<invoice id>#<part>``), type and route, so each is extracted, scored and recorded on its
    own; the ids depend on the received event alone, so a redelivery or replay yields the same events.
    """
    if not detection.parts:
        return [detected_event(received, detection, duplicate_of, now)]
    events = []
    for number, part in enumerate(detection.parts, 1):
        one = replace(detection, doc_type=part.doc_type, type_code=part.type_code, part=number, parts=())
        if part.doc_type not in INVOICE_LIKE and one.route in _EXTRACTABLE:
            why = reason("not_invoice", f"Part {number} of the file is a {part.doc_type.value}.")
            one = replace(one, route=Route.NOT_INVOICE, reasons=(*one.reasons, why), xml=None, parsed=None)
        events.append(detected_event(received, one, duplicate_of, now))
    return events


def remember_parsed(memo: XmlMemo, events: Sequence[DocumentDetected], parsed: Parsed) -> None:
    """Keep the XML detect parsed for the extract of each event that reads it (one hop later, in this worker:
    the parts of a file share one tree)."""
    _remember(memo, events, parsed)


def remember_lines(memo: TextMemo, events: Sequence[DocumentDetected], lines: PageLines) -> None:
    """Keep the lines of the text PDF's pages detect loaded for the extract that reads it (one hop later)."""
    _remember(memo, events, lines)


def _remember(memo: Recent[str, T], events: Sequence[DocumentDetected], value: T) -> None:
    for detected in events:
        if detected.route in _READ_AGAIN:
            memo.put(detected.event_id, value)


def detect_agent(ctx: StageContext) -> BatchHandler:
    """The stage shell: decode, refuse unknown tenants, load the batch's documents, detect, claim digests."""
    limits = DetectLimits.from_settings(ctx.settings)
    memos = ctx.memos

    async def handle(batch: Sequence[Inbound]) -> Sequence[Outcome]:
        ctx.policies.maybe_reload()
        outcomes, decoded = decode_all(batch, InvoiceReceived, memos.events)
        known: list[tuple[int, Inbound, InvoiceReceived]] = []
        for i, msg, ev in decoded:
            if ctx.policies.current().policy_for(ev.tenant_id) is None:
                outcomes[i] = UnknownTenant(f"tenant {ev.tenant_id!r} has no policy and unknown tenants are refused")
            else:
                known.append((i, msg, ev))
        contents = await load_documents([ev.document for _, _, ev in known], ctx.settings, ctx.resources.fetcher(),
                                        memos.documents)
        todo: list[tuple[int, Inbound, InvoiceReceived, Detection]] = []
        for (i, msg, ev), content in zip(known, contents, strict=True):
            if isinstance(content, InvoiceflowError):
                outcomes[i] = content
            else:
                todo.append((i, msg, ev, detect(content, limits, keep_lines=memos.text is not None)))
        claims = [(ev.tenant_id, ev.document.sha256, ev.invoice_id) for _, _, ev, _ in todo]
        owners = await (await ctx.resources.dedupe()).claim(claims)
        now = datetime.now(UTC)
        for (i, msg, ev, found), owner in zip(todo, owners, strict=True):
            events = detected_events(ev, found, owner, now)
            describe(msg.span, events[0])
            # every part keeps the file's key, so the parts ride the file's partition (and its worker's memo)
            key = msg.key or ev.invoice_id.encode()
            outcomes[i] = [Outbound(DETECTED, key, encode(detected, memos.events), msg.out_headers)
                           for detected in events]
            if memos.xml is not None and found.parsed is not None:
                remember_parsed(memos.xml, events, found.parsed)
            if memos.text is not None and found.lines is not None:
                remember_lines(memos.text, events, found.lines)
        return outcomes

    return handle
