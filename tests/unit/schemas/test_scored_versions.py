"""`InvoiceScored` version 2 adds the document reference; a version-1 event (an older worker's, or one replayed
from a dead-letter topic) still decodes, and a version the contract does not know is refused."""

from __future__ import annotations

import json

import pytest

from schemas import InvoiceScored
from streams.codecs import decode, encode
from streams.errors import SchemaError
from tests.records_helpers import scored


def test_a_new_event_is_version_2_and_carries_its_document() -> None:
    event = scored("a", "t")
    assert event.schema_version == 2 and event.document is not None


def test_a_version_1_event_without_the_document_still_decodes() -> None:
    data = json.loads(encode(scored("a", "t")))
    del data["document"]
    data["schema_version"] = 1
    old = decode(InvoiceScored, json.dumps(data).encode())
    assert old.schema_version == 1 and old.document is None and old.invoice_id == "a"


@pytest.mark.parametrize("version", [0, 3])
def test_an_unknown_version_is_refused(version: int) -> None:
    data = json.loads(encode(scored("a", "t")))
    data["schema_version"] = version
    with pytest.raises(SchemaError):
        decode(InvoiceScored, json.dumps(data).encode())
