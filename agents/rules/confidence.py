"""Field confidence, weighted by how much each field matters, capped by the least sure critical field.

An invoice is only as safe to pay as its least certain important value: a perfectly read buyer name does
not make up for a doubtful amount. So the score is the weighted mean of the policy's weighted fields, then
capped by the lowest confidence among its critical fields. An extractor that reports no confidence for a
value it returned is trusted fully when it read structured XML, and at the policy's minimum otherwise.
Missing fields count as zero only when the policy requires them (the `required` rule names them);
optional fields that are simply absent (many invoices have no due date) neither help nor hurt.
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

    Args:
        invoice: The extracted invoice with its per-field `confidence`.
        policy: Weights, critical and required fields, and the minimum confidence.
        structured: Whether the fields were read from an e-invoice's XML.
    """
    reported = invoice.confidence
    unreported = 1.0 if structured else policy.min_field_confidence
    floor = policy.min_field_confidence
    weighted = 0.0
    total = 0.0
    low: list[Finding] = []
    for name, weight in policy.field_weights.items():
        if value_of(invoice, name) is None:
            if name in policy.required_fields:
                total += weight
            continue
        conf = min(1.0, max(0.0, reported.get(name, unreported)))
        weighted += weight * conf
        total += weight
        if conf < floor:
            low.append(Finding("low_confidence", name))
    score = weighted / total if total > 0 else 1.0
    for name in policy.critical_fields:
        if value_of(invoice, name) is None:
            continue
        conf = min(1.0, max(0.0, reported.get(name, unreported)))
        score = min(score, conf)
        if conf < floor and name not in policy.field_weights:
            low.append(Finding("low_confidence", name))
    return FieldScore(score, tuple(low))
