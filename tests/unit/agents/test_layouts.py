"""Vendor layouts: learned from one corrected text PDF, read back on the seller's next invoice, and nowhere else."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from agents.detect import DetectLimits, detect
from agents.extract import extract_local
from agents.layouts import (
    FieldRule,
    VendorLayout,
    layout_from_json,
    layout_to_json,
    learn_from_review,
    merge_layouts,
    true_values,
)
from schemas import extracted_fields
from tools.samples import generate_hard_series

_TRUTH = {"invoice_number": "invoice_number", "issue_date": "issue_date", "due_date": "due_date",
          "currency": "currency", "seller_name": "seller.name", "seller_vat_id": "seller.vat_id",
          "seller_iban": "seller_iban", "total_net": "total_net", "total_tax": "total_tax",
          "total_incl_vat": "total_incl_vat", "total_gross": "amount_due"}


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[tuple[bytes, dict[str, Any]]]]:
    """Two invoices of each of 14 sellers, one hard layout each (seller s has layout s)."""
    root = tmp_path_factory.mktemp("series")
    rows = generate_hard_series(root, 14, 2, seed=5, base_date=date(2026, 6, 1))
    out: dict[int, list[tuple[bytes, dict[str, Any]]]] = {}
    for row in rows:
        out.setdefault(int(str(row["seller_index"])), []).append(((root / str(row["file"])).read_bytes(), row))
    return out


def _read(content: bytes, layouts: tuple[VendorLayout, ...] = ()) -> Any:
    return extract_local(detect(content, DetectLimits()), content, layouts)


def _learn(content: bytes, row: dict[str, Any], known: dict[str, VendorLayout] | None = None) -> VendorLayout:
    """What the review stage learns when a reviewer corrects the reading to the truth."""
    read = extracted_fields(_read(content).invoice).model_dump(mode="json", exclude_none=True)
    corrections = {name: (f"{row[col]:.2f}" if isinstance(row[col], float) else row[col])
                   for col, name in _TRUTH.items() if row.get(col) is not None and str(read.get(name)) != str(row[col])}
    learned = learn_from_review(content, read, corrections, "acme", known or {})
    assert learned is not None
    return learned


def test_one_corrected_document_teaches_where_each_field_stands(series: Any) -> None:
    content, row = series[11][0]  # window_return: the seller only in the return-address line
    layout = _learn(content, row)
    assert layout.version == 1 and layout.vat_id == row["seller_vat_id"]
    fields = {r.field for r in layout.rules}
    assert {"invoice_number", "issue_date", "seller.name", "amount_due"} <= fields
    assert all(r.anchor or r.field == "seller.name" for r in layout.rules)
    assert not any(ch.isdigit() for r in layout.rules for ch in r.anchor)  # anchors are labels, not values


def test_the_layout_reads_the_next_invoice_of_the_seller_with_other_values(series: Any) -> None:
    for seller in (11, 12, 13):  # window_return, signed_letter, split_name
        (first, first_row), (second, second_row) = series[seller]
        layout = _learn(first, first_row)
        got = _read(second, (layout,))
        assert got.extractor == "text+layout:v1"
        inv = got.invoice
        assert inv.invoice_number == second_row["invoice_number"] != first_row["invoice_number"]
        assert inv.issue_date.isoformat() == second_row["issue_date"]
        assert inv.seller.name == second_row["seller_name"]
        assert float(inv.amount_due) == second_row["total_gross"]
        for name in ("invoice_number", "issue_date", "seller.name"):
            assert inv.confidence[name] >= 0.97, name


def test_a_learned_layout_makes_the_self_check_accept_what_it_sent_on(series: Any) -> None:
    from agents.paid import escalation_reason
    from config.policy import load_policy_book

    policy = load_policy_book(None).default
    (first, first_row), (second, _) = series[13]  # split_name: the generic reader misses the seller's name
    assert escalation_reason(_read(second).invoice, _read(second).reasons, policy) is not None
    got = _read(second, (_learn(first, first_row),))
    assert escalation_reason(got.invoice, got.reasons, policy) is None


def test_another_sellers_layout_is_not_applied(series: Any) -> None:
    layout = _learn(*series[11][0])
    other, _ = series[3][1]
    plain = _read(other)
    got = _read(other, (layout,))
    assert got.extractor == "text"
    assert got.invoice == plain.invoice


def test_a_layout_whose_anchors_do_not_match_falls_back_to_the_generic_reading(series: Any) -> None:
    content, row = series[11][1]
    plain = _read(content)
    stranger = VendorLayout("acme", "X", 3, None, row["seller_vat_id"], None, (
        FieldRule("invoice_number", "no such label", 0, "text"),
        FieldRule("amount_due", "nothing printed here", 1, "|,")))
    got = _read(content, (stranger,))
    assert got.extractor == "text"  # the seller is recognised by its VAT id, but no anchor is printed
    assert got.invoice == plain.invoice


def test_a_new_correction_makes_a_new_version_that_counts_what_it_confirms(series: Any) -> None:
    (first, first_row), (second, second_row) = series[12]
    v1 = _learn(first, first_row)
    v2 = _learn(second, second_row, {v1.vendor: v1})
    assert (v2.version, v2.documents) == (2, 2)
    confirmed = {r.field: r.seen for r in v2.rules}
    assert confirmed["invoice_number"] == 2 and confirmed["issue_date"] == 2


def test_a_new_rule_is_kept_beside_the_old_one_and_read_first_only_on_a_tie() -> None:
    old = VendorLayout("t", "V", 1, "S", "V", None, (FieldRule("invoice_number", "no.", 0, "text"),))
    new = VendorLayout("t", "V", 1, "S", "V", None, (FieldRule("invoice_number", "ref", 0, "text"),))
    assert [(r.anchor, r.seen) for r in merge_layouts(old, new).rules] == [("ref", 1), ("no.", 1)]
    sure = VendorLayout("t", "V", 4, "S", "V", None, (FieldRule("invoice_number", "no.", 0, "text", seen=3),))
    assert [(r.anchor, r.seen) for r in merge_layouts(sure, new).rules] == [("no.", 3), ("ref", 1)]


def test_evidence_accumulates_over_versions_instead_of_the_last_review_replacing_it() -> None:
    def one(anchor: str) -> VendorLayout:
        return VendorLayout("t", "V", 1, "S", "V", None, (FieldRule("total_net", anchor, 1, "|,"),))

    layout = None
    for anchor in ("netto", "nettobetrag", "netto", "nettobetrag", "netto"):  # a seller printing two labels
        layout = merge_layouts(layout, one(anchor))
    assert layout is not None and layout.version == 5
    assert [(r.anchor, r.seen) for r in layout.rules] == [("netto", 3), ("nettobetrag", 2)]
    wrong = replace(layout, rules=(replace(layout.rules[0], seen=0), layout.rules[1]))
    assert [r.anchor for r in merge_layouts(wrong, one("summe")).rules] == ["nettobetrag", "summe"]


def test_relearning_the_same_document_counts_each_rule_once_more(series: Any) -> None:
    content, row = series[3][0]
    v1 = _learn(content, row)
    v2 = _learn(content, row, {v1.vendor: v1})
    assert [(r.field, r.anchor) for r in v2.rules] == [(r.field, r.anchor) for r in v1.rules]  # nothing doubled
    again = {r.field: r.seen for r in v2.rules}
    assert all(again[name] == 2 for name in ("invoice_number", "issue_date", "total_incl_vat", "amount_due"))


def test_a_layout_survives_its_stored_form() -> None:
    rule = FieldRule("due_date", "fällig", 1, "9. a 9", 2)
    layout = VendorLayout("t", "DE1", 2, "Seller GmbH", "DE1", "DE89", (rule,), 2)
    body = json.loads(json.dumps(layout_to_json(layout)))
    assert layout_from_json("t", "DE1", 2, body) == layout


def test_true_values_are_the_reading_as_corrected() -> None:
    got = true_values({"invoice_number": "R-1", "amount_due": "10.00", "lines": 3},
                      {"amount_due": "12.00", "seller.name": "S"})
    assert got == {"invoice_number": "R-1", "amount_due": "12.00", "seller.name": "S"}


def test_the_simulation_learns(tmp_path: Path) -> None:
    from tools.learning import simulate_learning

    rows = simulate_learning(14, 7, seed=3)
    by_k = {r.k: r for r in rows}
    assert by_k[0].layout_reads == 0 and by_k[5].layout_reads > 0
    assert by_k[5].accuracy >= by_k[0].accuracy
    assert by_k[5].paid_share < by_k[0].paid_share


def test_more_reviews_never_send_more_to_paid_extraction_nor_accept_more_wrong() -> None:
    from tools.learning import simulate_learning

    rows = simulate_learning(15, 10, seed=0)  # a seller whose 5th invoice has net = total (0 % VAT) is among them
    paid = [r.paid for r in rows]
    assert paid == sorted(paid, reverse=True)
    assert rows[-1].accepted_wrong <= rows[1].accepted_wrong
    assert rows[-1].accuracy >= rows[1].accuracy
