"""Characters to rows, words and column segments: gaps relative to the glyph height decide."""

from __future__ import annotations

from agents.readers.pdf_text import chars_to_rows, group_lines

_Char = tuple[float, float, float, float, str]


def _chars(text: str, x: float = 0.0, y: float = 0.0, width: float = 6.0) -> list[_Char]:
    return [(x + i * width, y, x + (i + 1) * width, y + 10.0, ch) for i, ch in enumerate(text)]


def test_rows_words_and_columns() -> None:
    chars = [*_chars("Total 1\u00a0234,56", y=30.0), *_chars("Net", x=200.0, y=31.0), *_chars("Rechnung")]
    lines = group_lines(chars_to_rows(chars), page=0)
    assert [(line.text, [w.text for w in line.words]) for line in lines] == [
        ("Rechnung", ["Rechnung"]),
        ("Total 1\u00a0234,56", ["Total", "1\u00a0234,56"]),  # a no-break space groups digits
        ("Net", ["Net"]),  # far to the right: another column
    ]
    assert lines[1].x0 == 0.0 and lines[1].x1 == 84.0 and lines[1].y0 == 30.0


def test_a_glyph_drawn_twice_is_kept_once() -> None:
    chars = [*_chars("AB"), (0.5, 0.0, 6.5, 10.0, "A")]
    assert [line.text for line in group_lines(chars_to_rows(chars), page=0)] == ["AB"]


def test_degenerate_boxes_do_not_break_rows() -> None:
    chars = [(0.0, 5.0, 6.0, 5.0, "x"), (6.0, 0.0, 12.0, float("nan"), "y"), (12.0, 0.0, 18.0, 10.0, "z")]
    assert sum(len(row) for row in chars_to_rows(chars)) == 3
    assert group_lines([], page=0) == ()
