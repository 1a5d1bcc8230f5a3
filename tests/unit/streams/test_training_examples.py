"""Labelled examples for `invoiceflow train`: the operator's `examples.jsonl`, and approving reviews."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas import DocumentRef
from streams.errors import ConfigError
from streams.sinks.reviews import ConfirmedReview
from streams.training import JsonlExamples, reviewed_example


async def test_examples_are_read_with_their_documents_and_filtered_by_vendor(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF-a")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-b")
    polygon = [0.1, 0.1, 0.2, 0.1, 0.2, 0.2, 0.1, 0.2]
    lines = [{"document": "a.pdf", "vendor": "de 1", "fields": {"invoice_number": "R-1", "total_incl_vat": 9.5},
              "positions": {"invoice_number": {"page": 2, "polygon": polygon}}},
             {"document": "b.pdf", "vendor": "DE2", "fields": {"invoice_number": "R-2"}}]
    (tmp_path / "examples.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    source = JsonlExamples(tmp_path)
    assert [e.name for e in await source.examples("t", None)] == ["a.pdf", "b.pdf"]
    (only,) = await source.examples("t", "DE1")
    assert only.content == b"%PDF-a" and only.fields == {"invoice_number": "R-1", "total_incl_vat": "9.5"}
    assert only.positions["invoice_number"].page == 2 and only.positions["invoice_number"].polygon == tuple(polygon)


async def test_a_bad_line_names_itself(tmp_path: Path) -> None:
    (tmp_path / "examples.jsonl").write_text(json.dumps({"document": "missing.pdf", "fields": {}}) + "\n")
    with pytest.raises(ConfigError, match=r"examples\.jsonl line 1"):
        await JsonlExamples(tmp_path).examples("t", None)
    with pytest.raises(ConfigError, match=r"no examples\.jsonl"):
        await JsonlExamples(tmp_path / "nowhere").examples("t", None)


def test_an_approving_review_labels_its_trainable_fields_as_the_reviewer_left_them() -> None:
    ref = DocumentRef(uri="file:///docs/r-7.pdf", sha256="c" * 64, size=6, filename="r-7.pdf")
    review = ConfirmedReview("inv-7", ref.model_dump_json(), {
        "invoice_number": "R-7", "issue_date": "2026-11-30", "total_incl_vat": "119.00", "seller.vat_id": "de 123",
        "seller.name": "Acme", "buyer.vat_id": "FR40303265045", "currency": "EUR", "due_date": None})
    example = reviewed_example(review, b"%PDF-7", ref)
    assert example.fields == {"invoice_number": "R-7", "issue_date": "2026-11-30", "total_incl_vat": "119.00",
                              "seller_vat_id": "de 123", "buyer_vat_id": "FR40303265045"}  # trainable ones only
    assert (example.name, example.vendor, example.content, example.ref) == ("r-7.pdf", "DE123", b"%PDF-7",
                                                                          "file:///docs/r-7.pdf")
    unnamed = DocumentRef(uri="file:///docs/x", sha256="c" * 64, size=6)
    assert reviewed_example(review, b"%PDF-7", unnamed).name == "inv-7"
