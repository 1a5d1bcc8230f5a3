"""The score stage's pure core: decisions, reasons, policy effects and the InvoiceScored event."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agents.score import ScoreContext, ScoreResult, action_for, score, score_event, scored_event
from config.policy import TenantPolicy, load_policy_book
from schemas import (
    Decision,
    DocType,
    DocumentFormat,
    InvoiceData,
    InvoiceExtracted,
    InvoiceScored,
    Party,
    Reason,
    Route,
    event_id_for,
)
from tools.bench.score import bench_score, sample_extracted

NOW = datetime(2024, 5, 3, 9, 30, tzinfo=UTC)
KNOWN = ScoreContext(vendor_known=True)
DEFAULT = load_policy_book(None).default


def event(invoice_changes: dict[str, Any] | None = None, **changes: Any) -> InvoiceExtracted:
    base = sample_extracted()
    assert base.invoice is not None
    if invoice_changes:
        changes["invoice"] = base.invoice.model_copy(update=invoice_changes)
    return base.model_copy(update=changes)


def run(ev: InvoiceExtracted | None = None, policy: TenantPolicy = DEFAULT,
        context: ScoreContext = KNOWN) -> ScoreResult:
    return score(ev or event(), policy, context, NOW)


def codes(result: ScoreResult) -> list[str]:
    return [r.code for r in result.reasons]


def with_policy(**changes: Any) -> TenantPolicy:
    return TenantPolicy.model_validate({**DEFAULT.model_dump(exclude={"version"}), **changes, "version": "t"})


def test_a_clean_invoice_from_a_known_vendor_is_auto_approved() -> None:
    result = run()
    assert result == ScoreResult(1.0, Decision.AUTO_APPROVE, (), DEFAULT.version)


def test_scoring_is_deterministic() -> None:
    assert run(context=ScoreContext()) == run(context=ScoreContext())


def test_a_new_vendor_or_a_changed_iban_caps_at_review() -> None:
    new = run(context=ScoreContext())
    assert new.decision is Decision.REVIEW and codes(new) == ["new_vendor"] and new.score == 1.0
    assert run(policy=with_policy(new_vendor_caps_at_review=False), context=ScoreContext()).decision is (
        Decision.AUTO_APPROVE
    )
    changed = run(context=ScoreContext(vendor_known=True, vendor_iban_changed=True))
    assert changed.decision is Decision.REVIEW and codes(changed) == ["vendor_iban_changed"]


def test_a_duplicate_is_never_auto_approved() -> None:
    dup = run(context=ScoreContext(duplicate_of="inv-0", vendor_known=True))
    assert dup.decision is Decision.REVIEW and codes(dup) == ["duplicate"]
    strict = run(policy=with_policy(duplicate="reject"), context=ScoreContext(duplicate_of="inv-0", vendor_known=True))
    assert strict.decision is Decision.REJECT
    with pytest.raises(ValueError):
        with_policy(duplicate="note")


def test_an_exact_resend_is_rejected_but_a_redelivery_is_not_a_resend() -> None:
    resend = run(context=ScoreContext(exact_resend_of="inv-0", vendor_known=True))
    assert resend.decision is Decision.REJECT and codes(resend) == ["duplicate_resend"]
    assert run(event(duplicate_of="inv-0")).decision is Decision.REJECT
    resent = ScoreContext(exact_resend_of="x", vendor_known=True)
    gentle = run(policy=with_policy(exact_resend="review"), context=resent)
    assert gentle.decision is Decision.REVIEW
    itself = ScoreContext(exact_resend_of="bench-invoice", duplicate_of="bench-invoice", vendor_known=True)
    assert run(context=itself).decision is Decision.AUTO_APPROVE


def test_a_resent_document_without_fields_is_still_a_resend() -> None:
    result = run(event(route=Route.DUPLICATE, invoice=None, duplicate_of="inv-0"))
    assert result.decision is Decision.REJECT and codes(result) == ["duplicate_resend"] and result.score == 0.0


@pytest.mark.parametrize(
    ("route", "code"),
    [(Route.INVALID, "invalid_document"), (Route.UNSUPPORTED, "unsupported_document"),
     (Route.NOT_INVOICE, "not_invoice")],
)
def test_documents_detect_refused_are_rejected_with_the_detect_reasons_first(route: Route, code: str) -> None:
    upstream = Reason(code="xml_malformed", message="The XML is not well-formed.")
    result = run(event(route=route, invoice=None, reasons=(upstream,)))
    assert result.decision is Decision.REJECT and result.score == 0.0
    assert codes(result) == ["xml_malformed", code]


def test_a_document_that_is_not_an_invoice_is_rejected() -> None:
    result = run(event({"doc_type": DocType.PURCHASE_ORDER}))
    assert result.decision is Decision.REJECT and codes(result) == ["not_invoice"]


def test_failed_extraction_is_reviewed_or_rejected_per_policy() -> None:
    failed = event(invoice=None, extractor="none", reasons=(Reason(code="extract_failed", message="m"),))
    result = run(failed)
    assert result.decision is Decision.REVIEW and codes(result) == ["extract_failed", "extraction_failed"]
    assert run(failed, with_policy(extraction_failed="reject")).decision is Decision.REJECT


def test_credit_notes_are_reviewed_when_the_policy_says_so() -> None:
    credit = event({"doc_type": DocType.CREDIT_NOTE})
    assert codes(run(credit)) == ["credit_note"] and run(credit).decision is Decision.REVIEW
    assert run(credit, with_policy(credit_notes_always_review=False)).decision is Decision.AUTO_APPROVE


def test_tenant_limits_cap_at_review() -> None:
    assert codes(run(policy=with_policy(allowed_currencies=("CHF",)))) == ["currency_not_allowed"]
    over = run(policy=with_policy(max_auto_approve_amount={"EUR": Decimal("100")}))
    assert over.decision is Decision.REVIEW and codes(over) == ["amount_over_limit"] and over.score == 1.0


def test_a_failed_sum_caps_at_review_and_lowers_the_score_once_per_kind() -> None:
    one = run(event({"total_incl_vat": Decimal("171.10")}))
    assert one.decision is Decision.REVIEW
    assert codes(one) == ["total_incl_vat_mismatch", "amount_due_mismatch"]
    assert one.score == pytest.approx(0.6)  # one wrong total breaks two sums: penalised once


def test_penalties_of_different_kinds_multiply_and_can_reach_reject() -> None:
    broken = event({
        "total_incl_vat": Decimal("171.10"), "currency": "EURO", "seller_iban": "DE00370400440532013000",
        "issue_date": date(2024, 6, 1), "due_date": date(2024, 7, 1),
    })
    result = run(broken)
    assert set(codes(result)) == {
        "total_incl_vat_mismatch", "amount_due_mismatch", "currency_unknown", "iban_invalid", "issue_date_in_future"
    }
    assert result.score == pytest.approx(0.6 * 0.5 * 0.8 * 0.7)
    assert result.decision is Decision.REJECT


def test_rule_actions_let_a_tenant_soften_or_harden_a_rule() -> None:
    bad_vat = event({"buyer": Party(name="Kunde AG", vat_id="ATU13585628")})
    assert run(bad_vat).decision is Decision.REVIEW
    noted = run(bad_vat, with_policy(rule_actions={"vat_id_invalid": "note"}))
    assert noted.decision is Decision.AUTO_APPROVE and codes(noted) == ["vat_id_invalid"] and noted.score == 1.0
    ignored = run(bad_vat, with_policy(rule_actions={"vat_id_invalid": "ignore"}))
    assert ignored.decision is Decision.AUTO_APPROVE and ignored.reasons == ()
    assert run(bad_vat, with_policy(rule_actions={"vat_id_invalid": "reject"})).decision is Decision.REJECT
    assert action_for("vat_id_invalid", DEFAULT) == "review"
    assert action_for("duplicate", with_policy(duplicate="reject")) == "reject"
    assert action_for("xml_malformed", DEFAULT) == "note"  # upstream codes are reported, not re-decided


def test_field_confidence_drives_the_thresholds() -> None:
    def unsure(value: float) -> InvoiceExtracted:
        ev = event(route=Route.TEXT, format=DocumentFormat.TEXT_PDF, extractor="text")
        assert ev.invoice is not None
        conf = {name: 1.0 for name in DEFAULT.field_weights}
        conf["amount_due"] = value
        return ev.model_copy(update={"invoice": ev.invoice.model_copy(update={"confidence": conf})})

    assert run(unsure(0.95)).decision is Decision.AUTO_APPROVE
    assert run(unsure(DEFAULT.auto_approve_threshold)).decision is Decision.AUTO_APPROVE  # at the threshold
    middle = run(unsure(0.7))
    assert middle.decision is Decision.REVIEW and middle.score == pytest.approx(0.7)
    assert [(r.code, r.field) for r in middle.reasons] == [("low_confidence", "amount_due")]  # doubt is named
    low = run(unsure(0.3))
    assert low.decision is Decision.REJECT and codes(low) == ["low_confidence"]
    assert low.reasons[0].field == "amount_due"


def test_text_reads_without_confidence_are_not_trusted_blindly() -> None:
    result = run(event(route=Route.TEXT, extractor="text"))
    assert result.score == DEFAULT.min_field_confidence and result.decision is Decision.REVIEW


def test_missing_required_fields_are_named() -> None:
    result = run(event({"invoice_number": None}))
    assert result.decision is Decision.REVIEW
    assert [(r.code, r.field) for r in result.reasons] == [("missing_field", "invoice_number")]
    assert result.score < 1.0


def test_an_unknown_document_kind_is_reviewed() -> None:
    assert codes(run(event({"doc_type": DocType.UNKNOWN}))) == ["doc_type_unknown"]


def test_reasons_never_quote_document_content() -> None:
    nasty = InvoiceData(
        invoice_number="SECRET-42", currency="XBT", seller=Party(name="Secret Seller Ltd", vat_id="DE1"),
        amount_due=Decimal("999999"), issue_date=date(2030, 1, 1), seller_iban="DE00SECRET",
    )
    result = run(event(invoice=nasty), context=ScoreContext())
    assert result.reasons
    text = " ".join(r.message for r in result.reasons)
    assert "SECRET" not in text.upper() and "999999" not in text and "XBT" not in text


def test_the_scored_event_carries_everything_downstream_needs() -> None:
    ev = event()
    result = run(ev, context=ScoreContext())
    out = scored_event(ev, result, NOW)
    assert isinstance(out, InvoiceScored)
    assert out.event_id == event_id_for("score", ev.invoice_id, ev.event_id)
    assert (out.invoice_id, out.tenant_id, out.received_at) == (ev.invoice_id, ev.tenant_id, ev.received_at)
    assert (out.score, out.decision, out.reasons) == (result.score, result.decision, result.reasons)
    assert out.policy_version == DEFAULT.version and out.document_sha256 == ev.document.sha256
    assert (out.format, out.extractor, out.invoice, out.cost, out.scored_at) == (
        ev.format, ev.extractor, ev.invoice, ev.cost, NOW
    )
    assert InvoiceScored.model_validate_json(out.model_dump_json()) == out
    assert score_event(ev, DEFAULT, ScoreContext(), NOW) == out


def test_the_benchmark_reports_a_median_in_microseconds() -> None:
    median = bench_score(50)
    assert 0.0 < median < 1_000_000.0


def _with_confidence(ev: InvoiceExtracted, changes: dict[str, float]) -> InvoiceExtracted:
    assert ev.invoice is not None
    conf = {**ev.invoice.confidence, **changes}
    invoice = ev.invoice.model_copy(update={"confidence": conf})
    return ev.model_copy(update={"invoice": invoice, "route": Route.TEXT, "format": DocumentFormat.TEXT_PDF,
                                 "extractor": "text"})


def _sure(ev: InvoiceExtracted) -> InvoiceExtracted:
    return _with_confidence(ev, dict.fromkeys(DEFAULT.field_weights, 0.97))


@pytest.mark.parametrize(
    "changes",
    [
        {"seller.name": 0.6},  # a critical field caps the score
        {"invoice_number": 0.84, "issue_date": 0.8},  # two critical fields just under the threshold
        {"buyer.name": 0.3, "due_date": 0.3, "seller.vat_id": 0.5, "seller_iban": 0.4, "total_tax": 0.5,
         "total_net": 0.5},  # no critical field is low, but the weighted mean is
        {"amount_due": 0.2},  # low enough to reject
    ],
)
def test_a_decision_held_back_by_doubt_names_the_doubtful_fields(changes: dict[str, float]) -> None:
    result = run(_with_confidence(_sure(event()), changes))
    assert result.decision is not Decision.AUTO_APPROVE
    named = {r.field for r in result.reasons if r.code == "low_confidence"}
    assert named and named <= {f for f, c in changes.items() if c < DEFAULT.auto_approve_threshold}
    critical_low = {f for f, c in changes.items() if f in DEFAULT.critical_fields}
    assert critical_low <= named


def test_a_sure_reading_is_approved_without_reasons() -> None:
    result = run(_sure(event()))
    assert result.decision is Decision.AUTO_APPROVE and result.reasons == ()


def test_every_decision_short_of_auto_approval_gives_a_reason(tmp_path: Path) -> None:
    """Synthetic text PDFs, read locally, then made doubtful field by field: never a silent review."""
    samples = pytest.importorskip("tools.samples")
    from agents.readers.text_reader import read_text_pdf

    rows = samples.generate_samples(tmp_path, 12, formats=("text_pdf",), seed=29, base_date=date(2026, 6, 1))
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    outcomes = []
    for row in rows:
        invoice, found = read_text_pdf((tmp_path / str(row["file"])).read_bytes())
        base = _with_confidence(event(invoice=invoice, reasons=found), {})
        variants = [base, *(_with_confidence(base, {name: 0.7}) for name in DEFAULT.field_weights)]
        for ev in variants:
            for context in (KNOWN, ScoreContext()):
                result = score(ev, DEFAULT, context, now)
                outcomes.append(result.decision)
                if result.decision is not Decision.AUTO_APPROVE:
                    assert result.reasons, (row["file"], ev.invoice.confidence if ev.invoice else None)
    assert Decision.AUTO_APPROVE in outcomes and Decision.REVIEW in outcomes
