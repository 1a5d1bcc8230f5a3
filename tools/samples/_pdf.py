"""Draw a :class:`Layout` with reportlab into a PDF that has a real text layer.

Why DejaVu: an embedded TrueType subset (with a ToUnicode map) is what PDF/A asks for and what keeps accented
labels ("Fälligkeitsdatum", "Désignation") extractable; the standard Helvetica/Times fonts are the fallback when
fonts-dejavu is not installed. ``invariant=1`` pins reportlab's timestamps and file id so the same seed yields
the same bytes.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Final

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ._layout import PAGE_H, PAGE_W, Box, Layout, Rule, Text

FONT_DIRS: Final = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
                    Path("/usr/share/fonts/TTF"))
_FACES: Final = {(False, False): "DejaVuSans", (False, True): "DejaVuSans-Bold",
                 (True, False): "DejaVuSerif", (True, True): "DejaVuSerif-Bold"}
_FALLBACK: Final = {(False, False): "Helvetica", (False, True): "Helvetica-Bold",
                    (True, False): "Times-Roman", (True, True): "Times-Bold"}


def find_font(face: str) -> Path | None:
    for folder in FONT_DIRS:
        path = folder / f"{face}.ttf"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=8)
def _pdf_font(serif: bool, bold: bool) -> str:
    face = _FACES[(serif, bold)]
    path = find_font(face)
    if path is None:
        return _FALLBACK[(serif, bold)]
    pdfmetrics.registerFont(TTFont(face, str(path)))
    return face


def render_pdf(layout: Layout, *, title: str, author: str, subject: str) -> bytes:
    """PDF bytes of ``layout``; one PDF page per layout page."""
    buf = io.BytesIO()
    # the initial font is referenced by every page: make it an embedded one, not Helvetica (PDF/A)
    canvas = Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1,
                    initialFontName=_pdf_font(layout.serif, False), initialFontSize=9)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setCreator("invoiceflow sample generator")
    for page in layout.pages:
        for op in page:
            if isinstance(op, Text):
                canvas.setFillGray(op.gray)
                canvas.setFont(_pdf_font(layout.serif, op.bold), op.size)
                y = PAGE_H - op.y
                if op.align == "r":
                    canvas.drawRightString(op.x, y, op.text)
                elif op.align == "c":
                    canvas.drawCentredString(op.x, y, op.text)
                else:
                    canvas.drawString(op.x, y, op.text)
            elif isinstance(op, Rule):
                canvas.setStrokeGray(op.gray)
                canvas.setLineWidth(op.width)
                canvas.line(op.x1, PAGE_H - op.y1, op.x2, PAGE_H - op.y2)
            elif isinstance(op, Box):
                if op.fill is not None:
                    canvas.setFillGray(op.fill)
                canvas.setStrokeGray(0.3)
                canvas.setLineWidth(0.6)
                canvas.rect(op.x, PAGE_H - op.y - op.h, op.w, op.h, stroke=int(op.stroke),
                            fill=int(op.fill is not None))
        canvas.showPage()
    canvas.save()
    return buf.getvalue()
