"""Thin, bounded helpers over PDFium (pypdfium2): open, count pages, list and read attachments, probe text.

Everything that can fail on a hostile file fails here as a `PdfRefusedError` with a stable reason code, so
callers map one exception to a route. Attachment sizes are asked of PDFium before any buffer is allocated,
and a caller bounds them; stream decompression bombs are refused earlier, by `_pdf_guard`, because PDFium
inflates whole streams with no limit of its own. PDFium is not thread-safe: use these from one thread
per process.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from agents.readers._errors import RefusedError

__all__ = [
    "AttachmentInfo",
    "PdfRefusedError",
    "attachments",
    "has_text_layer",
    "open_pdf",
    "page_count",
    "page_text",
    "read_attachment",
]


class PdfRefusedError(RefusedError):
    """The PDF cannot be read safely; `code` is the stable reason code."""


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """One embedded file of a PDF: its index in the name tree and its file name."""

    index: int
    name: str


def open_pdf(content: bytes) -> pdfium.PdfDocument:
    """Open PDF bytes with PDFium; the caller closes the document.

    Raises:
        PdfRefusedError: ``pdf_encrypted`` when a password is needed, ``pdf_corrupt`` otherwise.
    """
    try:
        return pdfium.PdfDocument(content)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise PdfRefusedError("pdf_encrypted", "PDF needs a password.") from exc
        raise PdfRefusedError("pdf_corrupt", "PDF cannot be opened.") from exc


def page_count(pdf: pdfium.PdfDocument) -> int:
    """Return the number of pages."""
    return len(pdf)


def attachments(pdf: pdfium.PdfDocument) -> tuple[AttachmentInfo, ...]:
    """List the embedded files (document-level attachments) by index and name."""
    found = []
    for index in range(pdf.count_attachments()):
        try:
            name = pdf.get_attachment(index).get_name()
        except pdfium.PdfiumError:
            continue
        found.append(AttachmentInfo(index=index, name=name))
    return tuple(found)


def read_attachment(pdf: pdfium.PdfDocument, index: int, max_bytes: int) -> bytes | None:
    """Read one embedded file, or None when it is empty, unreadable or larger than `max_bytes`.

    The size is asked of PDFium first, so an oversized attachment is never copied into Python. PDFium decodes
    the file on each call, but asking once with a guessed buffer is no saving to make: the bundled PDFium
    copies only into a buffer of exactly the decoded size and aborts the process on a smaller one.
    """
    try:
        handle = pdf.get_attachment(index)
    except pdfium.PdfiumError:
        return None
    size = ctypes.c_ulong()
    pdfium_c.FPDFAttachment_GetFile(handle, None, 0, ctypes.byref(size))
    if size.value == 0 or size.value > max_bytes:
        return None
    buffer = ctypes.create_string_buffer(size.value)
    written = ctypes.c_ulong()
    if not pdfium_c.FPDFAttachment_GetFile(handle, buffer, size.value, ctypes.byref(written)):
        return None
    return buffer.raw[: min(written.value, size.value)]


def page_text(pdf: pdfium.PdfDocument, index: int, probe: PageProbe | None = None) -> str:
    """Return the text layer of one page (empty for a scanned page), handing the loaded page to `probe`."""
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            text: str = textpage.get_text_range()
            if probe is not None:
                probe(page, textpage, index)
        finally:
            textpage.close()
    finally:
        page.close()
    return text


PageProbe = Callable[[pdfium.PdfPage, pdfium.PdfTextPage, int], None]
"""Called with each probed page, its loaded text page and its index, while both are open."""


def has_text_layer(pdf: pdfium.PdfDocument, pages: int = 2, min_chars: int = 16,
                   probe: PageProbe | None = None) -> tuple[bool, str]:
    """Tell whether the leading pages carry a text layer, and return the text read to decide.

    Pages are probed in order and probing stops at the first page that settles it, so a text PDF costs
    one page of text extraction.

    Args:
        pdf: The open document.
        pages: How many leading pages to probe at most.
        min_chars: Non-blank characters needed to call it a text PDF (a scan may carry a stray OCR glyph).
        probe: Also called with each probed page while it is loaded (detect keeps its lines for extract).

    Returns:
        Whether there is a text layer, and the text of the probed pages.
    """
    texts: list[str] = []
    count = 0
    for index in range(min(pages, len(pdf))):
        text = page_text(pdf, index, probe)
        texts.append(text)
        count += sum(1 for ch in text if not ch.isspace())
        if count >= min_chars:
            return True, "\n".join(texts)
    return False, "\n".join(texts)
