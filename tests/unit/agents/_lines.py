"""Hand-made positioned lines for the text reader's tests: rows of (x, text) cells on one page."""

from __future__ import annotations

from agents.readers.pdf_text import TextLine, Word, line_from_words


def page(rows: list[list[tuple[float, str]]], size: float = 10.0, gap: int = 0) -> tuple[TextLine, ...]:
    """Each row is a list of (x, text) cells, words 0.5 * size wide a letter; `gap` blank rows before the last two."""
    lines: list[TextLine] = []
    for i, cells in enumerate(rows):
        y = 50.0 + (i + (gap if i >= len(rows) - 2 else 0)) * 1.4 * size
        for x, text in cells:
            words, pos = [], x
            for token in text.split(" "):
                words.append(Word(pos, y, pos + 0.5 * size * len(token), y + size, token))
                pos += 0.5 * size * (len(token) + 1)
            lines.append(line_from_words(0, words))
    return tuple(lines)
