"""Labelled examples for `invoiceflow train`: the operator's `examples.jsonl`, and approving reviews."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas import DocumentRef
from streams.errors import ConfigError
from streams.sinks.reviews import ConfirmedReview
from streams.training import JsonlExamples, TrainingBudget, reviewed_example


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


def test_a_budget_keeps_the_newest_documents_that_fit_its_count_and_bytes() -> None:
    budget = TrainingBudget(examples=3, bytes=100, pages=500)
    assert budget.fitting([40, 40, 40, 40]) == 2  # the third would pass 100 bytes
    assert budget.fitting([10, 10, 10, 10, 10]) == 3  # the count
    assert budget.fitting([10, 10]) == 2 and budget.fitting([]) == 0
    assert budget.fitting([101]) == 0
    # the service's own limits per build mode
    assert TrainingBudget.for_mode("template", 7) == TrainingBudget(7, 50 << 20, 500)
    assert TrainingBudget.for_mode("neural", 7) == TrainingBudget(7, 1 << 30, 50_000)


async def test_the_newest_lines_within_the_budget_are_read_and_the_rest_counted(tmp_path: Path) -> None:
    lines = []
    for n in range(5):
        (tmp_path / f"{n}.pdf").write_bytes(b"%PDF-" + bytes([48 + n]) * 10)  # 15 bytes each
        lines.append({"document": f"{n}.pdf", "vendor": "DE1", "fields": {"invoice_number": f"R-{n}"}})
    (tmp_path / "examples.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    source = JsonlExamples(tmp_path)
    found = await source.examples("t", None, TrainingBudget(examples=3, bytes=1000, pages=500))
    assert [e.name for e in found] == ["2.pdf", "3.pdf", "4.pdf"] and source.over_budget == 2
    assert found[0].content == b"%PDF-" + b"2" * 10
    found = await source.examples("t", None, TrainingBudget(examples=10, bytes=31, pages=500))
    assert [e.name for e in found] == ["3.pdf", "4.pdf"] and source.over_budget == 3
    assert len(await source.examples("t", None)) == 5


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
