"""Words and their positions from a PDF's text layer, in the shape of the service's layout `pages`.

The fake does no OCR: it reads what a text PDF already carries (pypdfium2), which is all the custom-model
tests need. Polygons are in inches from the page's top left, clockwise, as the service reports them for PDFs.
"""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium

_POINTS_PER_INCH = 72.0
_BREAKS = frozenset(" \t\r\n\u00a0")


def _page_words(page: Any, height_pt: float) -> list[dict[str, Any]]:
    text = page.get_textpage()
    words: list[dict[str, Any]] = []
    chars: list[str] = []
    box: list[float] = []

    def flush() -> None:
        if chars:
            left, bottom, right, top = box
            poly = [left, height_pt - top, right, height_pt - top, right, height_pt - bottom, left,
                    height_pt - bottom]
            words.append({"content": "".join(chars), "polygon": [round(v / _POINTS_PER_INCH, 4) for v in poly],
                          "confidence": 0.99})
            chars.clear()

    try:
        for i in range(text.count_chars()):
            ch = text.get_text_range(i, 1)
            if not ch or ch in _BREAKS:
                flush()
                continue
            left, bottom, right, top = text.get_charbox(i)
            if chars and left - box[2] > (box[3] - box[1]) * 0.6:  # a wide gap is a word break without a space
                flush()
            if not chars:
                box = [left, bottom, right, top]
            box = [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
            chars.append(ch)
        flush()
    finally:
        text.close()
    return words


def pdf_pages(data: bytes) -> list[dict[str, Any]] | None:
    """The layout `pages` (number, size in inches, words) of a PDF, or None when it cannot be opened."""
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        pages = []
        for n in range(len(document)):
            page = document[n]
            width, height = page.get_size()
            pages.append({"pageNumber": n + 1, "angle": 0, "width": round(width / _POINTS_PER_INCH, 4),
                          "height": round(height / _POINTS_PER_INCH, 4), "unit": "inch",
                          "words": _page_words(page, height), "lines": [], "spans": []})
            page.close()
        return pages
    finally:
        document.close()
