"""What PostgreSQL cannot store, made storable: the NUL character, in text and in JSON.

PostgreSQL's text holds any Unicode character but NUL, and jsonb refuses the escape of one (``\\u0000``),
yet both may reach a sink: an upstream producer's invoice id or file name, a text PDF whose font maps a
glyph to U+0000, a hostile payload whose ids a dead letter records. A statement carrying one fails on every
try, so its batch would wait for ever behind a server that answers. The sinks put U+FFFD (the replacement
character) in its place, as a decoder does with a byte it cannot read: the record keeps every other
character, and the event on Kafka keeps the original.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["pg_json", "pg_text", "pg_texts"]

_NUL = "\x00"
_NUL_ESCAPE = "\\u0000"


def pg_text(value: str) -> str:
    """`value` with each NUL replaced by U+FFFD (the same string, uncopied, when it has none)."""
    return value.replace(_NUL, "\ufffd") if _NUL in value else value


def pg_texts(values: Iterable[str | None]) -> list[str | None]:
    """`pg_text` of each value (None stays None), as a list for an array parameter."""
    return [None if v is None else pg_text(v) for v in values]


def pg_json(text: str) -> str:
    """A JSON document with each escaped NUL (``\\u0000``) escaped as U+FFFD instead (``\\ufffd``)."""
    return text.replace(_NUL_ESCAPE, "\\ufffd") if _NUL_ESCAPE in text else text
