"""The codec validates at the boundary and tells decode errors from schema errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas import DocumentRef, InvoiceReceived
from streams.codecs import decode, encode, peek_ids
from streams.errors import DecodeError, SchemaError


def _event() -> InvoiceReceived:
    return InvoiceReceived(event_id="e", invoice_id="i-1", tenant_id="t", received_at=datetime.now(UTC),
                           document=DocumentRef(uri="file:///x.xml", sha256="a" * 64, size=3))


def test_round_trip() -> None:
    ev = _event()
    assert decode(InvoiceReceived, encode(ev)) == ev


@pytest.mark.parametrize("value", [b"", None, b"not json", b"\xff\xfe", b"{\"a\":"])
def test_not_json_is_a_decode_error(value: bytes | None) -> None:
    with pytest.raises(DecodeError):
        decode(InvoiceReceived, value)


@pytest.mark.parametrize("value", [b"[]", b"{}", b"{\"schema_version\": 2}"])
def test_wrong_shape_is_a_schema_error(value: bytes) -> None:
    with pytest.raises(SchemaError):
        decode(InvoiceReceived, value)


def test_unknown_field_is_refused() -> None:
    data = encode(_event()).replace(b'{"', b'{"surprise":1,"', 1)
    with pytest.raises(SchemaError, match="surprise"):
        decode(InvoiceReceived, data)


def test_peek_ids_is_best_effort() -> None:
    assert peek_ids(b'{"invoice_id": "i", "tenant_id": "t"}') == ("i", "t")
    assert peek_ids(b'{"invoice_id": 3}') == (None, None)
    assert peek_ids(b"garbage") == (None, None)
