"""Tiny string builder for indented XML.

Why not lxml here: building 20,000 documents through an element tree costs several times more than joining
strings, and the generator's output shape is fixed. Every text and attribute value goes through ``esc``, and
the tests parse every generated document with lxml, so the speed does not cost well-formedness.
"""

from __future__ import annotations

from decimal import Decimal

_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def esc(text: str) -> str:
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return text.translate(_TEXT)
    return text


def leaf(tag: str, text: str, attrs: str = "") -> str:
    return f"<{tag}{attrs}>{esc(text)}</{tag}>"


def opt(tag: str, text: str | None, attrs: str = "") -> str | None:
    return None if text is None else leaf(tag, text, attrs)


def node(tag: str, *children: str | None, attrs: str = "") -> str:
    """Element whose children are already-serialised strings; ``None`` children are skipped."""
    inner = "\n".join(c for c in children if c)
    if not inner:
        return f"<{tag}{attrs}/>"
    return f"<{tag}{attrs}>\n  " + inner.replace("\n", "\n  ") + f"\n</{tag}>"


def attr(name: str, value: str) -> str:
    return f' {name}="{esc(value)}"'


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


def plain(value: Decimal) -> str:
    """Shortest exact decimal (``2.50`` -> ``2.5``, ``200`` stays ``200``)."""
    return format(value.normalize(), "f")


def document(root: str, namespaces: str, children: list[str | None]) -> bytes:
    body = node(root, *children, attrs=namespaces)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
