"""The pure parts of the reviews sink and CLI: accuracy figures, one example per invoice, the suggestion text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.calibrate import Suggestion
from config.policy import TenantPolicy
from streams.cli.reviews import format_accuracy, format_suggestion
from streams.sinks import LabelledExample
from streams.sinks.reviews import accuracy_response, latest_per_invoice

AT = datetime(2026, 12, 1, tzinfo=UTC)


def test_accuracy_sums_fields_per_group_extractor_and_overall() -> None:
    found = accuracy_response("t", [("t", "text", "vat:A", 3, {"amount_due": [3, 2], "currency": [3, 3]}),
                                    ("t", "text", None, 1, {"currency": [1, 0]}),
                                    ("t", "ubl", "vat:A", 2, {})])
    first = found.groups[0]
    assert (first.reviews, first.total.checked, first.total.right) == (3, 6, 5)
    assert first.fields["amount_due"].accuracy == 2 / 3 and list(first.fields) == ["currency", "amount_due"]
    assert found.extractors["text"].checked == 7 and found.extractors["text"].right == 5
    assert found.extractors["ubl"].accuracy is None  # nothing checked: no made-up rate
    assert (found.total.checked, found.total.right) == (7, 5)
    table = format_accuracy(found)
    assert "worst: amount_due 66.7% (2/3)" in table and "extractor ubl: - (0/0)" in table
    assert table.splitlines()[-1] == "all: 71.4% (5/7) over 6 review(s)"


def _example(event_id: str, at: datetime) -> LabelledExample:
    return LabelledExample("t", "i", event_id, "0" * 64, "s", "text", None, "review", 0.5, {}, {}, {}, "approve",
                           "r", at)


def test_a_batch_keeps_the_latest_review_of_each_invoice() -> None:
    older, newer = _example("e1", AT), _example("e0", AT + timedelta(seconds=1))
    assert latest_per_invoice([newer, older]) == [newer] == latest_per_invoice([older, newer])


def test_the_snippet_lowers_the_reject_threshold_when_the_suggestion_falls_below_it() -> None:
    text = format_suggestion("acme", Suggestion(0.35, 0.005, 900, 400, 1), TenantPolicy(), "policy.yaml")
    assert text.endswith("tenants:\n  acme:\n    auto_approve_threshold: 0.35\n"
                         "    reject_threshold: 0.35   # was 0.4")
    assert "wrong auto-approvals: 1 of 400 (0.25%; target 0.50%" in text and "44.4% of the reviewed" in text
    plain = format_suggestion("acme", Suggestion(0.7, 0.005, 900, 400, 1), TenantPolicy(), "policy.yaml")
    assert "reject_threshold" not in plain
