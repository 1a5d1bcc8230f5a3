"""Rows and label-to-value lookup: the layout model the text reader works on.

Invoices put a value to the right of its label ("Zahlbetrag 529,87"), or under it when labels form a
table header ("Nettobetrag  MwSt  Endbetrag" over a row of amounts). Lines from the PDF text layer or
OCR are first gathered into visual rows (lines whose boxes overlap vertically), then every label found in
a row is paired with the text after it on that row, up to the next label, or with the words below it in
the same column. A phrase that names two fields ("VAT" heads a VAT id and a VAT amount) gives a hit for
each, and the value decides which one a reader can use. Everything here is measured relative to the text
height, so points and pixels behave alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from agents.readers.labels import Field, LabelHit, find_labels, is_weak, shared_fields
from agents.readers.pdf_text import TextLine, Word

_COLUMN_GAP = 1.6  # gap, in text heights, that separates two columns on one row
_BELOW_ROWS = 3  # how many rows below a label its value may sit
_LEADING_PUNCT = re.compile(r"^(?:[\s:#.=|]|[-–](?!\s?\d))+")  # keeps a minus sign


@dataclass(frozen=True, slots=True)
class Row:
    """One visual row: its words left to right, their spans in `text`, and where columns break."""

    page: int
    index: int
    y0: float
    y1: float
    words: tuple[Word, ...]
    spans: tuple[tuple[int, int], ...]
    segment_starts: frozenset[int]
    text: str

    @property
    def height(self) -> float:
        """Typical word height on the row."""
        heights = sorted(w.y1 - w.y0 for w in self.words)
        return heights[len(heights) // 2] if heights else 1.0

    def words_in(self, start: int, end: int) -> tuple[Word, ...]:
        """Words whose text overlaps the character range [start, end)."""
        return tuple(w for w, (a, b) in zip(self.words, self.spans, strict=True) if a < end and b > start)

    def segments(self) -> list[tuple[int, int]]:
        """Character spans of the row's column segments, left to right."""
        starts = sorted(self.segment_starts)
        ends = [s - 3 for s in starts[1:]] + [len(self.text)]
        return list(zip(starts, ends, strict=True))

    def x_at(self, offset: int) -> float:
        """Left edge of the word at or after a character offset."""
        for word, (_, end) in zip(self.words, self.spans, strict=True):
            if end > offset:
                return word.x0
        return self.words[-1].x1 if self.words else 0.0

    def starts_segment(self, offset: int) -> bool:
        """Whether a character offset is where a column segment (or the row) begins."""
        return offset in self.segment_starts


@dataclass(frozen=True, slots=True)
class Hit:
    """A label on a row, with the value text found for it and where that value was."""

    field: Field
    row: Row
    label: LabelHit
    value: str
    below: int  # 0: on the label's row; n: n-th aligned row below it
    value_row: Row


@dataclass(frozen=True, slots=True)
class Document:
    """All rows of a document, in reading order, and the labels found on them."""

    rows: tuple[Row, ...]
    hits: tuple[Hit, ...]

    def page_rows(self, page: int) -> tuple[Row, ...]:
        """The rows of one page."""
        return tuple(r for r in self.rows if r.page == page)


def build_document(pages: Sequence[Sequence[TextLine]]) -> Document:
    """Gather lines into rows and pair every label with its value.

    Args:
        pages: Lines per page, as `pdf_text.pdf_lines` or OCR produce them.

    Returns:
        The rows and label hits of the document.
    """
    rows: list[Row] = []
    for page_index, lines in enumerate(pages):
        for group in _row_groups(lines):
            rows.append(make_row(page_index, len(rows), group))
    hits: list[Hit] = []
    for row in rows:
        hits.extend(_row_hits(row, rows))
    return Document(tuple(rows), tuple(hits))


def _row_groups(lines: Sequence[TextLine]) -> list[list[Word]]:
    ordered = sorted((line for line in lines if line.text.strip()), key=lambda ln: (ln.y0 + ln.y1) / 2)
    groups: list[tuple[float, float, list[Word]]] = []
    for line in ordered:
        words = list(line.words) or [Word(line.x0, line.y0, line.x1, line.y1, line.text)]
        if groups:
            y0, y1, current = groups[-1]
            overlap = min(y1, line.y1) - max(y0, line.y0)
            # half the taller box: a big title does not swallow the two small lines beside it
            if overlap > 0.5 * max(y1 - y0, line.y1 - line.y0):
                groups[-1] = (min(y0, line.y0), max(y1, line.y1), current + words)
                continue
        groups.append((line.y0, line.y1, words))
    return [sorted(words, key=lambda w: w.x0) for _, _, words in groups]


def make_row(page: int, index: int, words: list[Word]) -> Row:
    """One row of words sorted left to right: its text, with a wide gap (a column break) written as three spaces."""
    heights = sorted(w.y1 - w.y0 for w in words)
    unit = heights[len(heights) // 2] if heights else 1.0
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    starts: set[int] = {0}
    pos = 0
    for i, word in enumerate(words):
        if i:
            gap = word.x0 - words[i - 1].x1
            sep = "   " if gap > _COLUMN_GAP * unit else " "
            parts.append(sep)
            pos += len(sep)
            if len(sep) > 1:
                starts.add(pos)
        spans.append((pos, pos + len(word.text)))
        parts.append(word.text)
        pos += len(word.text)
    return Row(
        page=page,
        index=index,
        y0=min(w.y0 for w in words),
        y1=max(w.y1 for w in words),
        words=tuple(words),
        spans=tuple(spans),
        segment_starts=frozenset(starts),
        text="".join(parts),
    )


def _row_hits(row: Row, rows: Sequence[Row]) -> list[Hit]:
    hits = _label_hits(row, rows)
    # a phrase that names two fields ("VAT") gives a hit for each; the value decides which one is used
    return hits + [replace(h, field=f) for h in hits for f in shared_fields(h.label)]


def _label_hits(row: Row, rows: Sequence[Row]) -> list[Hit]:
    found = [h for h in _row_labels(row) if not is_weak(h) or _weak_ok(row, h)]
    out: list[Hit] = []
    for i, label in enumerate(found):
        end = len(row.text)
        for later in found[i + 1 :]:
            if not is_weak(later) or row.starts_segment(later.start):
                end = later.start
                break
        value = _clean_value(row.text[label.end : end])
        if value:
            out.append(Hit(label.field, row, label, value, below=0, value_row=row))
            if any(c.isdigit() for c in value):
                continue
        below = _values_below(row, label, rows)
        for depth, (text, value_row) in enumerate(below, start=1):
            out.append(Hit(label.field, row, label, text, below=depth, value_row=value_row))
        if not below and not value:
            out.append(Hit(label.field, row, label, "", below=0, value_row=row))  # a heading alone
    return out


def _row_labels(row: Row) -> tuple[LabelHit, ...]:
    """The labels of a row; none spans a column gap ("Btw   Bedrag" heads two columns, it is not "btw-bedrag")."""
    found = find_labels(row.text)
    if len(row.segment_starts) == 1 or not any(_spans_gap(row, h) for h in found):
        return found
    out: list[LabelHit] = []
    for a, b in row.segments():
        out.extend(replace(h, start=h.start + a, end=h.end + a) for h in find_labels(row.text[a:b]))
    return tuple(out)


def _spans_gap(row: Row, hit: LabelHit) -> bool:
    return any(hit.start < s < hit.end for s in row.segment_starts)


def _weak_ok(row: Row, hit: LabelHit) -> bool:
    """A one-word label counts where a segment begins, right after a ':'-free separator, or after a rate
    that opens its segment ("6% btw", "zzgl. 19 % MwSt.")."""
    if row.starts_segment(hit.start) or row.text[: hit.start].rstrip().endswith(("|", "/")):
        return True
    start = max((s for s in row.segment_starts if s <= hit.start), default=0)
    return bool(_RATE_FIRST.match(row.text[start : hit.start].strip()))


_RATE_FIRST = re.compile(r"^(?:[^\d\s]+\s+)?\d{1,2}(?:[.,]\d{1,2})?\s?%$")


def _clean_value(text: str) -> str:
    return _LEADING_PUNCT.sub("", text).strip()


def _values_below(row: Row, label: LabelHit, rows: Sequence[Row]) -> list[tuple[str, Row]]:
    """Words under the label, row by row, while the column goes on without a gap or another label."""
    label_words = row.words_in(label.start, label.end)
    if not label_words:
        return []
    x0 = min(w.x0 for w in label_words)
    x1 = max(w.x1 for w in label_words)
    unit = row.height
    out: list[tuple[str, Row]] = []
    last = row
    for nxt in rows[row.index + 1 : row.index + 1 + _BELOW_ROWS]:
        if nxt.page != row.page or nxt.y0 - last.y1 > 2.5 * unit:
            break
        words = _under(nxt, x0 - 0.5 * unit, x1 + 0.5 * unit)
        if not words:
            if out:
                break
            last = nxt
            continue
        text = " ".join(w.text for w in words)
        if find_labels(text) and not any(ch.isdigit() for ch in text):
            break  # the column goes on with another label, not a value
        out.append((text, nxt))
        last = nxt
    return out


def _under(row: Row, x0: float, x1: float) -> list[Word]:
    """The words of a row under [x0, x1], and the words after them in their column segment while they are no
    amount: a value wider than its header ("Scadenza" over "30 dicembre 2026") is read whole."""
    inside = [i for i, w in enumerate(row.words) if w.x0 < x1 and w.x1 > x0]
    if not inside:
        return []
    end = inside[-1] + 1
    while (end < len(row.words) and row.spans[end][0] not in row.segment_starts
           and not _AMOUNT_WORD.search(row.words[end].text)):
        end += 1
    return list(row.words[inside[0] : end])


_AMOUNT_WORD = re.compile(r"\d[.,]\d{2}$")


def hits_for(doc: Document, field: Field) -> list[Hit]:
    """The hits of one field, in reading order."""
    return [h for h in doc.hits if h.field is field]
