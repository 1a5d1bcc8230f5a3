"""VAT identifiers in words: printed with spaces, dots and dashes, split over several words."""

from __future__ import annotations

import pytest

from agents.readers.text_fields import _VAT, _VAT_STARTS, vat_ids_in


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["USt-IdNr.:", "DE", "123", "456", "789"], ["DE123456789"]),
        (["VAT", "(GB", "123", "4567", "89)"], ["GB123456789"]),
        (["CHE-123.456.789", "MWST;"], ["CHE123456789"]),  # the shortest join that is an id wins
        (["n", "l", "123456789B01"], ["NL123456789B01"]),
        (["atu12345678"], ["ATU12345678"]),
        (["Invoice", "DE12345678", "9"], ["DE123456789"]),
        (["Total", "123", "456", "789"], []),
    ],
)
def test_vat_ids_in_words(words: list[str], expected: list[str]) -> None:
    assert vat_ids_in(words) == expected


def test_every_vat_shape_starts_with_a_known_prefix() -> None:
    # vat_ids_in stops joining words once they cannot start a VAT id: every shape must start with a prefix
    body = _VAT.pattern.removeprefix("^(?:").removesuffix(")$")
    depth, shapes, current = 0, [], ""
    for char in body:
        depth += (char == "(") - (char == ")")
        if char == "|" and depth == 0:
            shapes.append(current)
            current = ""
        else:
            current += char
    shapes.append(current)
    assert len(shapes) == 32  # IE has two shapes
    assert all(shape[:2].isalpha() and shape[:2] in _VAT_STARTS for shape in shapes)
