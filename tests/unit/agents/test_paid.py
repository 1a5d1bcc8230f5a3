"""When a text reading goes to the paid service, which model is used, and what the paid reading records."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from agents.paid import escalation_reason, model_for, paid_extraction
from config.policy import load_policy_book
from schemas import InvoiceData, Party, Reason
from streams.azure import AnalyzeOutcome, ResumeAction

POLICY = load_policy_book(None).default
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "azure_prebuilt_invoice.json"


def _reading(**conf: float) -> InvoiceData:
    base = {name: 0.99 for name in POLICY.critical_fields}
    base.update(conf)
    return InvoiceData(invoice_number="A1", seller=Party(name="S", vat_id="DE 123"), confidence=base)


def test_a_confident_consistent_reading_is_kept() -> None:
    assert escalation_reason(_reading(), (), POLICY) is None


def test_low_confidence_on_a_critical_field_escalates_naming_it() -> None:
    why = escalation_reason(_reading(amount_due=POLICY.text_confidence_floor - 0.01), (), POLICY)
    assert why is not None and why.code == "escalated_low_confidence" and why.field == "amount_due"


def test_a_failed_self_check_or_nothing_read_escalates() -> None:
    mismatch = Reason(code="text_totals_mismatch", message="x")
    assert escalation_reason(_reading(), (mismatch,), POLICY).code == "escalated_self_check"  # type: ignore[union-attr]
    assert escalation_reason(None, (), POLICY).code == "escalated_unreadable"  # type: ignore[union-attr]


def test_model_choice_prefers_the_vendors_custom_model() -> None:
    policy = POLICY.model_copy(update={"paid_model": "tenant-model", "paid_models_by_vendor": {"DE123": "custom-x"}})
    assert model_for(policy, _reading(), "prebuilt-invoice") == "custom-x"
    assert model_for(policy, None, "prebuilt-invoice") == "tenant-model"
    assert model_for(POLICY, None, "prebuilt-invoice") == "prebuilt-invoice"


def test_paid_extraction_keeps_the_local_reading_and_the_cost() -> None:
    result = json.loads(FIXTURE.read_text())
    result = result.get("analyzeResult", result)
    outcome = AnalyzeOutcome(result=result, pages=2, model_id="prebuilt-invoice", endpoint="e",
                             operation_location="http://x", usd=Decimal("0.02"), source=ResumeAction.REUSE,
                             submissions=0, elapsed_s=timedelta(seconds=1).total_seconds())
    local = _reading(amount_due=0.2)
    why = escalation_reason(local, (), POLICY)
    got = paid_extraction(outcome, local, why)
    assert got.extractor == "azure:prebuilt-invoice" and got.local_reading == local
    assert got.cost.pages == 2 and got.cost.usd == Decimal("0.02")
    assert [r.code for r in got.reasons] == ["escalated_low_confidence", "paid_result_reused"]
    assert got.invoice is not None and got.invoice.invoice_number


def test_an_active_custom_model_routes_its_vendor_but_the_policy_file_wins() -> None:
    custom = {"DE123": "trained-1", "": "tenant-wide"}
    assert model_for(POLICY, _reading(), "prebuilt-invoice", custom) == "trained-1"
    assert model_for(POLICY, None, "prebuilt-invoice", custom) == "tenant-wide"
    assert model_for(POLICY, None, "prebuilt-invoice", {"DE123": "trained-1"}) == "prebuilt-invoice"
    explicit = POLICY.model_copy(update={"paid_models_by_vendor": {"DE123": "custom-x"}})
    assert model_for(explicit, _reading(), "prebuilt-invoice", custom) == "custom-x"
