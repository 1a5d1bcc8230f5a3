"""The pure half of the index rebuild: which claims the records give back, and in which order."""

from __future__ import annotations

from agents.reindex import index_entries
from agents.rules.history import business_keys
from streams.sinks.recovery import RecordedInvoice
from tests.records_helpers import scored


def test_every_document_and_every_business_key_is_claimed_in_record_order() -> None:
    first, second = scored("inv-1", "t1"), scored("inv-2", "t1", vat_id="FR40303265045")
    assert first.invoice is not None and second.invoice is not None
    rows = [RecordedInvoice("t1", e.invoice_id, e.document_sha256, e.invoice.model_dump_json())
            for e in (first, second) if e.invoice is not None]

    entries = index_entries(rows)

    assert entries.documents == [("t1", first.document_sha256, "inv-1"), ("t1", second.document_sha256, "inv-2")]
    assert entries.keys == [("t1", k, "inv-1") for k in business_keys(first.invoice)] + [
        ("t1", k, "inv-2") for k in business_keys(second.invoice)]
    assert len(entries.keys) == 4  # by VAT id and by name, for each invoice
    assert entries.unreadable == 0


def test_a_record_without_fields_still_claims_its_document_and_bad_fields_are_counted() -> None:
    rows = [RecordedInvoice("t1", "no-fields", "a" * 64, None),
            RecordedInvoice("t1", "bad-fields", "b" * 64, '{"amount_due": "not a number"}')]

    entries = index_entries(rows)

    assert [d[2] for d in entries.documents] == ["no-fields", "bad-fields"]
    assert entries.keys == []
    assert entries.unreadable == 1
