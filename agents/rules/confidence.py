"""Field confidence, weighted by how much each field matters, capped by the least sure critical field.

An invoice is only as safe to pay as its least certain important value: a perfectly read buyer name does
not make up for a doubtful amount. So the score is the weighted mean of the policy's weighted fields, then
capped by the lowest confidence among its critical fields. An extractor that reports no confidence for a
value it returned is trusted fully when it read structured XML, and at the policy's minimum otherwise.
Missing fields count as zero only when the policy requires them (the `required` rule names them);
optional fields that are simply absent (many invoices have no due date) neither help nor hurt. When doubt
alone keeps an invoice from auto-approval, the fields behind the doubt are named (`low_confidence`), so no
review is left without a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.rules.catalog import Finding
from agents.rules.fields import value_of
from config.policy import TenantPolicy
from schemas import InvoiceData


@dataclass(frozen=True, slots=True)
class FieldScore:
    """The confidence part of the score and the fields read too unsurely."""

    score: float
    findings: tuple[Finding, ...]


def check(invoice: InvoiceData, policy: TenantPolicy, structured: bool) -> FieldScore:
    """Weighted field confidence, capped by the critical fields; `low_confidence` per unsure field.

    A field is named when its confidence is under the policy's minimum, and also when the confidence score
    ends under the auto-approval threshold and the field is one of those that put it there (a critical field
    that caps it, or a weighted field that pulls the mean down): a review for doubt always says which value
    a person should look at.

    Args:
        invoice: The extracted invoice with its per-field `confidence`.
        policy: Weights, critical and required fields, the minimum confidence and the thresholds.
        structured: Whether the fields were read from an e-invoice's XML.
    """
    reported = invoice.confidence
    unreported = 1.0 if structured else policy.min_field_confidence
    weighted = 0.0
    total = 0.0
    seen: dict[str, float] = {}  # field -> confidence, in policy order: weighted fields, then critical ones
    for name, weight in policy.field_weights.items():
        if value_of(invoice, name) is None:
            if name in policy.required_fields:
                total += weight
            continue
        seen[name] = min(1.0, max(0.0, reported.get(name, unreported)))
        weighted += weight * seen[name]
        total += weight
    mean = weighted / total if total > 0 else 1.0
    score = mean
    for name in policy.critical_fields:
        if value_of(invoice, name) is not None:
            seen.setdefault(name, min(1.0, max(0.0, reported.get(name, unreported))))
            score = min(score, seen[name])
    threshold = policy.auto_approve_threshold
    low: list[Finding] = []
    for name, conf in seen.items():
        capping = score < threshold and conf < threshold and (name in policy.critical_fields or mean < threshold)
        if conf < policy.min_field_confidence or capping:
            low.append(Finding("low_confidence", name))
    return FieldScore(score, tuple(low))
