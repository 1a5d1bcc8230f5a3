"""The text layer of a PDF as positioned words and lines, so readers can reason about layout.

pdfium's own plain-text export joins columns and invents spaces inside letter-spaced words ("Ver käufer"),
and its reading order follows the content stream, which is not always the visual order. Invoices are
read by position (a label, then the value to its right or just below it), so this module keeps every
character's box, groups characters into lines by their vertical centre, into words by the horizontal gap
relative to the glyph height, and splits a visual row into separate lines where a wide gap separates two
columns. Coordinates have their origin at the top-left of the page, y growing downwards, in PDF points;
OCR produces the same shapes in pixels, and the reader only uses ratios, never absolute sizes.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# A gap wider than this share of the glyph height starts a new word; letter-spacing stays below it.
_WORD_GAP = 0.2
# A gap wider than this share of the glyph height starts a new line segment (another column).
_COLUMN_GAP = 1.6
# Two characters share a line when their vertical centres are closer than this share of the height.
_SAME_LINE = 0.45


@dataclass(frozen=True, slots=True)
class Word:
    """One word with its box (top-left origin, y downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass(frozen=True, slots=True)
class TextLine:
    """A run of words on one baseline, not interrupted by a column gap; `page` counts from 0."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    words: tuple[Word, ...] = ()

    @property
    def height(self) -> float:
        """Height of the line box."""
        return self.y1 - self.y0


# A character as (x0, y0, x1, y1, text): plain tuples, since a page has thousands of them.
_Char = tuple[float, float, float, float, str]
# pdfium's FS_RECTF (left, top, right, bottom as C floats) read in one call
_RECT = struct.Struct("4f").unpack_from
# No-break and thin spaces group digits ("1 234,56"): they stay inside a word.
_GLUE_CHARS = "\u00a0\u202f\u2009\u2007"
_GLUE = frozenset(_GLUE_CHARS)


PageLines = tuple[tuple[TextLine, ...], ...]
"""One tuple of lines per page, in reading order (top to bottom, then left to right)."""


def pdf_lines(content: bytes, max_pages: int | None = None, first: int = 0) -> PageLines:
    """Read the text layer of a PDF as positioned lines, page by page.

    Args:
        content: The PDF bytes.
        max_pages: Read at most this many pages (all when None).
        first: Start at this page (0-based; the pages before it were read already, by detect).

    Returns:
        One tuple of lines per page read, in reading order (top to bottom, then left to right).

    Raises:
        pypdfium2.PdfiumError: The bytes are not a PDF pdfium can open.
    """
    doc = pdfium.PdfDocument(content)
    try:
        count = len(doc) if max_pages is None else min(len(doc), max_pages)
        pages: list[tuple[TextLine, ...]] = []
        for index in range(first, count):
            page = doc[index]
            try:
                pages.append(_page_lines(page, index))
            finally:
                page.close()
        return tuple(pages)
    finally:
        doc.close()


def _page_lines(page: pdfium.PdfPage, index: int) -> tuple[TextLine, ...]:
    textpage = page.get_textpage()
    try:
        return textpage_lines(page, textpage, index)
    finally:
        textpage.close()


def textpage_lines(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, index: int) -> tuple[TextLine, ...]:
    """The lines of page `index` from its loaded text page (detect loads it for its text probe anyway, and
    loading a page and its text takes half the time of reading its lines)."""
    width, height = page.get_size()
    rotation = page.get_rotation() % 360
    return group_lines(chars_to_rows(_chars(textpage, width, height, rotation)), index)


def _chars(textpage: pdfium.PdfTextPage, width: float, height: float, rotation: int) -> list[_Char]:
    raw_page = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw_page)
    if count <= 0:
        return []
    buffer = (ctypes.c_ushort * (count + 1))()
    pdfium_c.FPDFText_GetText(raw_page, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    loose_box = pdfium_c.FPDFText_GetLooseCharBox
    is_generated = pdfium_c.FPDFText_IsGenerated
    chars: list[_Char] = []
    append = chars.append
    for i, code in enumerate(buffer[:count]):
        if code in (10, 13) or 0xD800 <= code <= 0xDFFF:
            continue
        if code == 32 and is_generated(raw_page, i):
            continue  # pdfium's guessed spaces: word breaks are decided from the gaps instead
        if not loose_box(raw_page, i, rect_ref):
            continue
        x0, top, x1, bottom = _RECT(rect)
        if x1 < x0 or top <= bottom:
            continue
        if rotation:
            append((*_rotate(x0, height - top, x1, height - bottom, width, height, rotation), chr(code)))
        else:
            append((x0, height - top, x1, height - bottom, chr(code)))
    return chars


def _rotate(
    x0: float, y0: float, x1: float, y1: float, width: float, height: float, rotation: int
) -> tuple[float, float, float, float]:
    """Map an unrotated top-left box to the page as displayed (pdfium reports unrotated boxes)."""
    if rotation == 90:
        return height - y1, x0, height - y0, x1
    if rotation == 180:
        return width - x1, height - y1, width - x0, height - y0
    if rotation == 270:
        return y0, width - x1, y1, width - x0
    return x0, y0, x1, y1


def chars_to_rows(chars: Iterable[_Char]) -> list[list[_Char]]:
    """Cluster characters into visual rows by vertical centre, each row sorted left to right."""
    keyed = sorted([((c[1] + c[3]) / 2, c) for c in chars])
    rows: list[list[_Char]] = []
    row: list[_Char] = []
    row_yc = 0.0
    row_h = 0.0
    for yc, char in keyed:
        h = char[3] - char[1]
        if h < 1e-6:
            h = 1e-6
        if rows and abs(yc - row_yc) <= _SAME_LINE * (row_h if row_h < h else h):
            row.append(char)
            continue
        row = [char]
        rows.append(row)
        row_yc, row_h = yc, h
    for row in rows:
        row.sort()
    return rows


def group_lines(rows: Sequence[Sequence[_Char]], page: int) -> tuple[TextLine, ...]:
    """Split each row into words and column segments; return segments in reading order."""
    lines: list[TextLine] = []
    for row in rows:
        lines.extend(_segments(row, page))
    return tuple(lines)


def _segments(row: Sequence[_Char], page: int) -> list[TextLine]:
    heights = sorted([c[3] - c[1] for c in row if not c[4].isspace()])
    if not heights:
        return []
    unit = heights[len(heights) // 2]
    word_gap, column_gap = _WORD_GAP * unit, _COLUMN_GAP * unit
    segments: list[list[Word]] = [[]]
    word: list[_Char] = []
    last_ch: str | None = None  # the last character kept, and its left and right edges
    last_x0 = last_x1 = 0.0
    for char in row:
        x0, _, x1, _, ch = char
        if ch == last_ch and abs(x0 - last_x0) < 0.3 * (last_x1 - last_x0):
            continue  # the same glyph drawn twice (fake bold): keep one
        if ch.isspace() and ch not in _GLUE:
            _close_word(word, segments)
            word = []
            continue
        gap = x0 - last_x1 if last_ch is not None else 0.0
        if word and gap > word_gap:
            _close_word(word, segments)
            word = []
        if gap > column_gap and segments[-1]:
            segments.append([])
        word.append(char)
        last_ch, last_x0, last_x1 = ch, x0, x1
    _close_word(word, segments)
    return [_line(words, page) for words in segments if words]


def _close_word(word: list[_Char], segments: list[list[Word]]) -> None:
    if not word:
        return
    _, tops, rights, bottoms, texts = zip(*word, strict=True)
    text = "".join(texts).strip(_GLUE_CHARS)
    if text:
        segments[-1].append(Word(word[0][0], min(tops), max(rights), max(bottoms), text))


def _line(words: Sequence[Word], page: int) -> TextLine:
    return TextLine(
        page=page,
        x0=min([w.x0 for w in words]),
        y0=min([w.y0 for w in words]),
        x1=max([w.x1 for w in words]),
        y1=max([w.y1 for w in words]),
        text=" ".join([w.text for w in words]),
        words=tuple(words),
    )


def line_from_words(page: int, words: Sequence[Word]) -> TextLine:
    """Build a line from words already grouped (used by OCR, whose engine groups words itself).

    Args:
        page: The page index, from 0.
        words: The words of the line, left to right; must not be empty.

    Returns:
        The line, its box the union of the word boxes.
    """
    return _line(words, page)


def same_row(a: TextLine, b: TextLine) -> bool:
    """Whether two lines sit on one visual row: their boxes overlap by half the taller height."""
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return a.page == b.page and overlap > 0.5 * max(a.height, b.height)


def page_text(lines: Sequence[TextLine]) -> str:
    """Plain text of one page's lines, one visual row per text line (for classifiers and checks)."""
    out: list[str] = []
    last: TextLine | None = None
    for line in lines:
        if last is not None and same_row(last, line):
            out.append("  ")
        elif last is not None:
            out.append("\n")
        out.append(line.text)
        last = line
    return "".join(out)
