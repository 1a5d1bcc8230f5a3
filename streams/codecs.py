"""The one codec: JSON bytes <-> pydantic events, validated at the boundary.

Decoding uses pydantic's Rust JSON parser straight from bytes (no intermediate dict); encoding uses
`model_dump_json`. A value that is not JSON raises `DecodeError`; one that is JSON but breaks its
contract raises `SchemaError`, each with a message that names the problem but never the document content.

A worker that runs consecutive stages of the same invoices may remember the events it encodes (an
`EventMemo`, which the worker owns and its stages pass in): a value this process encoded and then reads back
(one hop later, through Kafka) decodes to the very event it was made from, without parsing it again. Only
byte-identical values match, and only as the model they were encoded from, so the result is exactly what
parsing would give (events are frozen, and decode(encode(e)) == e).
"""

from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from streams.errors import DecodeError, SchemaError
from streams.recent import Recent

M = TypeVar("M", bound=BaseModel)

EventMemo = Recent[bytes, BaseModel]
"""The events a worker encoded lately, by their bytes (`Recent(count)`)."""


def encode(event: BaseModel, memo: EventMemo | None = None) -> bytes:
    """Serialise an event to compact JSON bytes (kept in `memo`, when given, for `decode` to find)."""
    data = event.__pydantic_serializer__.to_json(event, exclude_none=True)
    if memo is not None:
        memo.put(data, event)
    return data


def decode(model: type[M], data: bytes | None, memo: EventMemo | None = None) -> M:
    """Parse and validate one message value as `model` (the very event encoded, when `memo` holds it).

    Raises:
        DecodeError: the value is empty, not UTF-8 or not JSON.
        SchemaError: the JSON does not satisfy the model.
    """
    if not data:
        raise DecodeError("empty message value")
    if memo is not None and isinstance(data, bytes):
        event = memo.take(data)
        if type(event) is model:
            return event
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise DecodeError(f"message value is not valid JSON: {_first_error(exc)}") from exc
        raise SchemaError(f"{model.__name__}: {_summary(exc)}") from exc


def peek_ids(data: bytes | None) -> tuple[str | None, str | None]:
    """Best-effort (invoice_id, tenant_id) of a value that failed to decode, for the dead-letter envelope."""
    if not data:
        return None, None
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(obj, dict):
        return None, None
    inv, ten = obj.get("invoice_id"), obj.get("tenant_id")
    return (inv if isinstance(inv, str) else None), (ten if isinstance(ten, str) else None)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return str(err.get("msg", "invalid"))[:200]


def _summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        parts.append(f"{loc}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
