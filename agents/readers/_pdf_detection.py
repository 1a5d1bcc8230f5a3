"""What a PDF is: refused, hybrid (invoice XML attached), text or scanned, and which reader gets it.

The checks run cheapest and safest first: the end-of-file marker, then every stream measured for
decompression bombs before PDFium opens the file, then the page count, then the attachments, and only then
the text layer. The time budget is checked between these phases. A hybrid PDF is read from its richest
invoice attachment (a PDF carrying an order instead, such as Order-X's order-x.xml, is that order); a text
PDF goes to the text reader unless the local classifier is confident it is not an
invoice; a PDF without a text layer is a scan for OCR.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

import pypdfium2 as pdfium
from lxml import etree

from agents.readers import _pdf_guard, pdf
from agents.readers._detection import Detection, DetectLimits, reason
from agents.readers._refusals import BudgetExceededError, check_budget, invalid, unsupported
from agents.readers._xml_detection import structured_detection
from agents.readers.pdf_text import TextLine, textpage_lines
from agents.readers.registry import reader_for
from agents.readers.safe_xml import XmlRefusedError, parse_xml
from schemas import INVOICE_LIKE, DocType, DocumentFormat, Reason, Route

__all__ = ["detect_pdf"]

_KNOWN_ATTACHMENTS = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
_NOT_INVOICE_CONFIDENCE = 0.5


def _choose_attachment(
    document: pdfium.PdfDocument, limits: DetectLimits
) -> tuple[str, bytes, etree._Element] | tuple[None, tuple[Reason, ...]]:
    """Pick the richest invoice XML among a PDF's attachments (most elements, then most bytes); failing any,
    the first business document of another kind (an Order-X order), so the PDF is routed as what it is."""
    best: tuple[tuple[int, int, int], str, bytes, etree._Element] | None = None
    other: tuple[str, bytes, etree._Element] | None = None  # an order or the like, when no invoice is attached
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
        reader = reader_for(root)
        if reader is None:
            continue
        if reader.identify(root).doc_type not in INVOICE_LIKE:
            other = other or (info.name, data, root)
            continue
        known = int(info.name.lower() in _KNOWN_ATTACHMENTS)
        rank = (int(root.xpath("count(//*)")), len(data), known)  # type: ignore[arg-type]
        if best is None or rank > best[0]:
            best = (rank, info.name, data, root)
    if best is None:
        return (None, tuple(notes)) if other is None else other
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


def detect_pdf(content: bytes, limits: DetectLimits, deadline: float, with_xml: bool,
               keep_lines: bool = False) -> Detection:
    """Detect a PDF; `with_xml` False treats a hybrid as the text PDF it also is; `keep_lines` keeps the lines
    of the pages the text probe loaded, on a text PDF routed to the text reader (`Detection.lines`).

    Raises:
        BudgetExceededError: `deadline` passed between phases (`agents.detect.detect` reports it).
    """
    if _pdf_guard.looks_truncated(content):
        return invalid("pdf_truncated", "PDF has no end-of-file marker.")
    try:
        _pdf_guard.check_streams(content, limits.max_inflated_bytes, deadline)
    except _pdf_guard.InflateLimitError:
        msg = f"A PDF stream inflates past {limits.max_inflated_bytes} bytes."
        return invalid("pdf_stream_bomb", msg)
    except _pdf_guard.TimeBudgetError as exc:
        raise BudgetExceededError from exc
    check_budget(deadline)
    try:
        document = pdf.open_pdf(content)
    except pdf.PdfRefusedError as exc:
        if exc.code == "pdf_encrypted":
            return unsupported(exc.code, exc.message)
        return invalid(exc.code, exc.message)
    try:
        pages = pdf.page_count(document)
        if pages == 0:
            return invalid("pdf_corrupt", "PDF has no pages.")
        if pages > limits.max_pages:
            return invalid("pdf_too_many_pages", f"PDF has {pages} pages; the limit is {limits.max_pages}.")
        check_budget(deadline)
        notes: tuple[Reason, ...] = ()
        if with_xml:
            chosen = _choose_attachment(document, limits)
            if chosen[0] is not None:
                name, xml, root = chosen
                return structured_detection(root, xml, pages, name)
            notes = chosen[1]
        check_budget(deadline)
        kept: list[tuple[TextLine, ...]] = []

        def keep(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, index: int) -> None:
            kept.append(textpage_lines(page, textpage, index))

        has_text, text = pdf.has_text_layer(document, probe=keep if keep_lines else None)
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
        lines=tuple(kept) if keep_lines and readable else None,
    )
