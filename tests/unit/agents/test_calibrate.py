"""Threshold calibration on synthetic review outcomes whose best threshold is known from how they are made."""

from __future__ import annotations

import pytest

from agents.calibrate import Evidence, evidence_of, min_evidence_for, suggest_threshold, touchless_share
from config.policy import TenantPolicy
from streams.errors import ThinEvidence
from tests.review_helpers import KEY, expected_threshold, outcomes

POLICY = TenantPolicy(critical_fields=KEY)


@pytest.mark.parametrize(("seed", "target", "wrong_above"), [(1, 0.005, 1), (2, 0.01, 1), (3, 0.01, 0),
                                                             (4, 0.02, 5), (5, 0.005, 0)])
def test_the_suggestion_is_the_known_best_threshold(seed: int, target: float, wrong_above: int) -> None:
    evidence = [e for s, d, f in outcomes(seed, wrong_above) if (e := evidence_of(s, d, f, (), POLICY))]
    assert len(evidence) == 1000
    got = suggest_threshold(evidence, target)
    assert got.threshold == pytest.approx(expected_threshold(target, wrong_above))
    assert got.evidence == 1000 and got.approved == round(1000 - got.threshold * 1000)
    assert got.wrong / got.approved <= target
    assert got.touchless_rate == pytest.approx(got.approved / 1000)


def test_only_a_rejection_or_a_corrected_key_field_makes_an_approval_wrong() -> None:
    assert (e := evidence_of(0.9, "reject", {}, (), POLICY)) and e.wrong
    assert (e := evidence_of(0.9, "approve", {"currency": False}, (), POLICY)) and e.wrong
    assert (e := evidence_of(0.9, "approve", {"payment_terms": False, "currency": True}, ("note_only",), POLICY))
    assert not e.wrong


def test_an_invoice_a_rule_held_at_review_is_no_evidence_and_never_touchless() -> None:
    assert evidence_of(0.99, "approve", {}, ("new_vendor",), POLICY) is None
    assert evidence_of(0.99, "approve", {}, ("duplicate",), POLICY) is None
    lenient = TenantPolicy(critical_fields=KEY, rule_actions={"amount_over_limit": "note"})
    assert evidence_of(0.99, "approve", {}, ("amount_over_limit",), POLICY) is None
    assert evidence_of(0.99, "approve", {}, ("amount_over_limit",), lenient) is not None  # the tenant let it pass
    scored = [(0.95, ()), (0.95, ("new_vendor",)), (0.7, ()), (0.3, ())]
    assert touchless_share(0.6, scored, POLICY) == 0.5 and touchless_share(0.96, scored, POLICY) == 0.0
    assert touchless_share(0.6, [], POLICY) is None


def test_thin_evidence_is_refused_with_what_is_needed() -> None:
    few = [Evidence(0.9, False)] * 150
    with pytest.raises(ThinEvidence, match=r"150 reviewed invoice\(s\); at least 200 are needed .* 0.50%"):
        suggest_threshold(few, 0.005)
    assert min_evidence_for(0.005) == 200 and min_evidence_for(0.01) == 100
    with pytest.raises(ThinEvidence, match=r"no threshold keeps wrong auto-approvals at or under 1\.00%"):
        suggest_threshold([Evidence(i / 100, True) for i in range(200)], 0.01)


def test_a_threshold_takes_every_invoice_of_a_score_or_none() -> None:
    tied = [Evidence(0.9, False)] * 199 + [Evidence(0.8, False), Evidence(0.8, True)] + [Evidence(0.1, True)] * 9
    got = suggest_threshold(tied, 0.005)  # at 0.8 one of 201 is wrong (0.50%): both 0.8s come in together
    assert (got.threshold, got.approved, got.wrong) == (0.8, 201, 1)
