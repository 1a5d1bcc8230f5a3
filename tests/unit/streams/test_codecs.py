"""The codec validates at the boundary and tells decode errors from schema errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from agents.detect import DetectLimits, detect, detected_event
from agents.extract import detection_of, extract_local, extracted_event, local_route
from agents.paid import Extraction
from agents.score import ScoreContext, score_event
from config.policy import load_policy_book
from config.settings import Settings
from schemas import DocumentDetected, DocumentRef, InvoiceExtracted, InvoiceReceived, InvoiceScored
from streams.codecs import EventMemo, decode, encode, peek_ids
from streams.errors import DecodeError, SchemaError
from streams.publisher import received_for_file
from streams.recent import Recent
from tools.samples import generate_samples


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


def _pipeline_events(tmp_path: Path) -> list[BaseModel]:
    """Every event of the pipeline for generated invoices of each local format (lines, parties, reasons)."""
    settings, now = Settings(), datetime.now(UTC)
    limits, policy = DetectLimits.from_settings(settings), load_policy_book(settings.policy_file).default
    rows = generate_samples(tmp_path, 6, formats=("ubl", "cii", "hybrid_pdf"), seed=5)
    found: list[BaseModel] = []
    for row in rows:
        path = tmp_path / str(row["file"])
        content, received = path.read_bytes(), received_for_file(path, "t", settings)
        detected = detected_event(received, detect(content, limits), None, now)
        route = local_route(detected)
        assert route is not None
        local = extract_local(detection_of(detected, route, content, limits), content)
        extracted = extracted_event(detected, Extraction(local.extractor, local.invoice, local.reasons), now)
        found += [received, detected, extracted, score_event(extracted, policy, ScoreContext(vendor_known=True), now)]
    return found


def test_every_event_parses_back_to_itself(tmp_path: Path) -> None:
    """What makes remembering encoded events safe: parsing their bytes would give the very same event."""
    events = _pipeline_events(tmp_path)
    assert {type(e) for e in events} == {InvoiceReceived, DocumentDetected, InvoiceExtracted, InvoiceScored}
    for event in events:
        assert decode(type(event), encode(event)) == event


def test_a_remembered_event_is_read_back_without_parsing() -> None:
    memo: EventMemo = Recent(8)
    ev = _event()
    data = encode(ev, memo)
    assert decode(InvoiceReceived, data) is not ev  # a caller without the memo parses
    assert decode(InvoiceReceived, data, memo) is ev
    again = decode(InvoiceReceived, data, memo)  # taken once: now it is parsed
    assert again == ev
    assert again is not ev


def test_only_the_same_bytes_as_the_same_model_are_reused() -> None:
    memo: EventMemo = Recent(8)
    ev = _event()
    data = encode(ev, memo)
    other = data.replace(b'"i-1"', b'"i-2"')
    assert decode(InvoiceReceived, other, memo).invoice_id == "i-2"
    with pytest.raises(SchemaError):
        decode(DocumentDetected, data, memo)  # remembered as another model: parsed, and refused
    with pytest.raises(SchemaError, match="surprise"):  # a broken copy is refused as ever
        decode(InvoiceReceived, encode(ev).replace(b'{"', b'{"surprise":1,"', 1))
