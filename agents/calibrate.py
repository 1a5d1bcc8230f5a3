"""Threshold calibration: the auto-approve threshold reviews show to be safe for a tenant.

Each reviewed invoice is evidence: its score, and whether approving it untouched would have been wrong (the
reviewer rejected it, or corrected one of the policy's critical fields). An invoice a rule held at review
(a new vendor, a duplicate, an amount over the limit...) is no evidence: no threshold would have approved it.
For a threshold t, the invoices with score >= t are the ones it would have auto-approved; the suggestion is
the lowest t (the most touchless) whose wrong share among those stays at or under the tenant's target, with
at least `min_evidence` invoices above it: fewer could not show a rate that small (one wrong in 100 is 1%),
so thin evidence is refused with a clear message rather than answered with a guess. Pure: the CLI reads the
outcomes and prints the result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from agents.score import action_for
from config.policy import TenantPolicy
from streams.errors import ThinEvidence

DEFAULT_TARGET = 0.005
"""Wrong auto-approvals allowed, as a share of auto-approvals (0.5%)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reviewed invoice: its score and whether approving it untouched would have been wrong."""

    score: float
    wrong: bool


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The threshold suggested and what it would have done to the evidence."""

    threshold: float
    target: float
    evidence: int
    """Reviewed invoices weighed."""
    approved: int
    """Of those, how many the threshold would have auto-approved."""
    wrong: int
    """Of those, how many wrongly."""

    @property
    def touchless_rate(self) -> float:
        """Share of the evidence the threshold would have auto-approved."""
        return self.approved / self.evidence

    @property
    def wrong_rate(self) -> float:
        """Share of its auto-approvals that would have been wrong."""
        return self.wrong / self.approved


def held_by_rule(reason_codes: Sequence[str], policy: TenantPolicy) -> bool:
    """Whether one of the reasons holds the invoice at review (or rejects it) under `policy`, whatever its score."""
    return any(action_for(code, policy) in ("review", "reject") for code in reason_codes)


def evidence_of(score: float, decision: str, fields_right: dict[str, bool], reason_codes: Sequence[str],
                policy: TenantPolicy) -> Evidence | None:
    """One review as evidence: wrong when rejected or when a critical field was corrected; None when a rule
    would have held the invoice at review whatever the threshold.

    Args:
        score: The score the invoice had when reviewed.
        decision: The reviewer's decision, approve or reject.
        fields_right: Each field read or corrected -> whether the reviewer left it unchanged.
        reason_codes: The reason codes of the decision reviewed.
        policy: The tenant's policy in force (its rule actions and critical fields).
    """
    if held_by_rule(reason_codes, policy):
        return None
    corrected_key = any(fields_right.get(name) is False for name in policy.critical_fields)
    return Evidence(score, decision == "reject" or corrected_key)


def touchless_share(threshold: float, scored: Sequence[tuple[float, Sequence[str]]],
                    policy: TenantPolicy) -> float | None:
    """Share of invoices (score, reason codes) that `threshold` would auto-approve: at or above it, no rule
    holding them (None without invoices)."""
    if not scored:
        return None
    passed = sum(1 for score, codes in scored if score >= threshold and not held_by_rule(codes, policy))
    return passed / len(scored)


def min_evidence_for(target: float) -> int:
    """Auto-approvals needed to see a wrong share as small as `target` (one wrong among them is the target)."""
    return math.ceil(1 / target - 1e-9)


def suggest_threshold(evidence: Sequence[Evidence], target: float = DEFAULT_TARGET,
                      min_evidence: int | None = None) -> Suggestion:
    """The lowest threshold whose auto-approvals among the evidence are wrong at most `target` of the time.

    Args:
        evidence: The tenant's reviewed invoices.
        target: The largest wrong share allowed among auto-approvals, in (0, 1).
        min_evidence: Auto-approvals the threshold must rest on (default: `min_evidence_for(target)`).

    Raises:
        ThinEvidence: fewer reviewed invoices than needed, or no threshold rests on enough of them.
    """
    if not 0 < target < 1:
        raise ValueError("target must be between 0 and 1")
    need = min_evidence if min_evidence is not None else min_evidence_for(target)
    if len(evidence) < need:
        raise ThinEvidence(f"too little evidence: {len(evidence)} reviewed invoice(s); at least {need} are "
                           f"needed to measure a wrong auto-approval share of {target:.2%}")
    ranked = sorted(evidence, key=lambda e: e.score, reverse=True)
    best: Suggestion | None = None
    approved = wrong = 0
    for i, item in enumerate(ranked):
        approved += 1
        wrong += item.wrong
        if i + 1 < len(ranked) and ranked[i + 1].score == item.score:
            continue  # a threshold takes every invoice of a score or none of them
        if approved >= need and wrong <= target * approved + 1e-9:
            best = Suggestion(item.score, target, len(ranked), approved, wrong)
    if best is None:
        raise ThinEvidence(f"no threshold keeps wrong auto-approvals at or under {target:.2%} with at least "
                           f"{need} reviewed invoices above it ({len(ranked)} weighed)")
    return best
