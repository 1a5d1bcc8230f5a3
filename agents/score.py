"""The score stage's pure core: an explainable automation decision for one extracted invoice.

The number a finance team buys invoiceflow for is the touchless rate: invoices paid with no human step and
no wrong one slipping through. `score` weighs how sure extraction was of the fields that matter, runs the
validation rules (EN 16931 arithmetic, dates, code lists, VAT ids, IBAN, required fields), the tenant's
limits and what the tenant has seen before (duplicates, resends, new vendors, changed bank accounts), and
decides: hard rules force a reject or cap at review, then the policy's thresholds split the rest into
auto_approve, review and reject. Every finding becomes a reason with a stable code and a plain message, and
the result names the policy version that decided. It is pure and synchronous: the shell looks up the
history facts first and passes them in a `ScoreContext`, and the clock is an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from agents.context import StageContext
from agents.rules import (
    arithmetic,
    codes,
    confidence,
    dates,
    document,
    fatturapa,
    history,
    iban,
    limits,
    required,
    signature,
    tax_codes,
    vat_ids,
)
from agents.rules.catalog import SPECS, Finding
from agents.rules.history import ScoreContext, business_key, business_keys, seller_identity
from config.policy import RULE_CODES, Action, TenantPolicy
from config.topics import SCORED
from schemas import Decision, InvoiceExtracted, InvoiceScored, Reason, Route, event_id_for
from streams.codecs import decode, encode
from streams.errors import InvoiceflowError, UnknownTenant
from streams.sinks import HistoryFacts, HistoryQuery
from streams.stage import BatchHandler, Inbound, Outbound, Outcome
from streams.tracing import describe

__all__ = [
    "ScoreContext",
    "ScoreResult",
    "action_for",
    "business_key",
    "business_keys",
    "score",
    "score_agent",
    "score_event",
    "scored_event",
    "seller_identity",
]

_SEVERITY = {Decision.AUTO_APPROVE: 0, Decision.REVIEW: 1, Decision.REJECT: 2}
_REASONS: dict[tuple[str, str | None], Reason] = {}  # reasons are immutable: build each one once


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The decision for one invoice and everything behind it."""

    score: float
    decision: Decision
    reasons: tuple[Reason, ...]
    policy_version: str


def score(
    extracted: InvoiceExtracted, policy: TenantPolicy, context: ScoreContext, now: datetime
) -> ScoreResult:
    """Decide auto_approve, review or reject for one extracted invoice, and say why.

    Args:
        extracted: The extraction event: route, fields with per-field confidence, upstream reasons.
        policy: The tenant's policy (thresholds, weights, required fields, limits, rule actions).
        context: History facts the shell looked up: duplicate, exact resend, vendor known, IBAN changed.
        now: The scoring time (UTC); dates are judged against it.

    Returns:
        Score in [0, 1], decision, one reason per finding (upstream reasons first when the document could
        not be scored), and the policy version.
    """
    gate = document.check(extracted, policy.credit_notes_always_review)
    seen = history.check(
        extracted.invoice_id,
        extracted.duplicate_of,
        context,
        policy.new_vendor_caps_at_review,
        routed_as_duplicate=extracted.route is Route.DUPLICATE,
    )
    invoice = extracted.invoice
    if gate.terminal or invoice is None:
        resend = [f for f in seen if f.code in ("duplicate_resend", "duplicate")]
        return _decide(0.0, [*gate.findings, *resend], policy, extracted.reasons, terminal=True)
    fields = confidence.check(invoice, policy, extracted.route is Route.STRUCTURED)
    findings: list[Finding] = [*gate.findings, *seen, *fields.findings]
    findings += required.check(invoice, policy.required_fields)
    findings += arithmetic.check(invoice, policy.arithmetic_tolerance)
    findings += fatturapa.check(invoice, policy.arithmetic_tolerance)
    findings += dates.check(invoice, now.date(), policy.max_future_days)
    findings += codes.check(invoice)
    findings += vat_ids.check(invoice)
    findings += tax_codes.check(invoice)
    findings += signature.check(extracted.reasons)
    findings += iban.check(invoice)
    findings += limits.check(invoice, policy.allowed_currencies, policy.max_auto_approve_amount)
    return _decide(fields.score, findings, policy, (), terminal=False)


def action_for(code: str, policy: TenantPolicy) -> Action:
    """What a failed rule does under a policy: its fixed or flagged action, or the tenant's override."""
    if code == "extraction_failed":
        return policy.extraction_failed
    if code == "duplicate":
        return policy.duplicate
    if code == "duplicate_resend":
        return policy.exact_resend
    spec = SPECS.get(code)
    if spec is None:
        return "note"  # an upstream stage's reason: reported, decided on by its own rule
    if code in RULE_CODES:
        return policy.rule_actions.get(code, spec.action)
    return spec.action


def _decide(
    value: float,
    findings: list[Finding],
    policy: TenantPolicy,
    upstream: tuple[Reason, ...],
    *,
    terminal: bool,
) -> ScoreResult:
    """Apply the findings' actions and penalties, then the thresholds; build the reasons."""
    cap = Decision.AUTO_APPROVE
    reasons: list[Reason] = list(upstream)
    seen: set[tuple[str, str | None]] = {(r.code, r.field) for r in upstream}
    penalties: dict[str, float] = {}  # group -> strongest penalty: each kind of problem counts once
    for finding in findings:
        act = action_for(finding.code, policy)
        if act == "ignore":
            continue
        if act == "reject":
            cap = Decision.REJECT
        elif act == "review" and cap is Decision.AUTO_APPROVE:
            cap = Decision.REVIEW
        if act != "note":
            spec = SPECS[finding.code]
            penalties[spec.group] = min(spec.penalty, penalties.get(spec.group, 1.0))
        key = (finding.code, finding.field)
        if key not in seen:
            seen.add(key)
            reasons.append(_reason(finding))
    for penalty in penalties.values():
        value *= penalty
    value = round(min(1.0, max(0.0, value)), 4)
    if terminal:
        decision = Decision.REJECT if cap is Decision.REJECT else Decision.REVIEW
    elif value >= policy.auto_approve_threshold:
        decision = Decision.AUTO_APPROVE
    elif value < policy.reject_threshold:
        decision = Decision.REJECT
    else:
        decision = Decision.REVIEW
    if _SEVERITY[cap] > _SEVERITY[decision]:
        decision = cap
    return ScoreResult(value, decision, tuple(reasons), policy.version)


def _reason(finding: Finding) -> Reason:
    key = (finding.code, finding.field)
    reason = _REASONS.get(key)
    if reason is None:
        reason = Reason(code=finding.code, message=SPECS[finding.code].message, field=finding.field)
        if len(_REASONS) < 4096:
            _REASONS[key] = reason
    return reason


def scored_event(extracted: InvoiceExtracted, result: ScoreResult, scored_at: datetime) -> InvoiceScored:
    """Build the `invoices.scored` event for a result, with its deterministic event id.

    Args:
        extracted: The event that was scored.
        result: What `score` returned for it.
        scored_at: When scoring finished (UTC).
    """
    return InvoiceScored(
        event_id=event_id_for("score", extracted.invoice_id, extracted.event_id),
        invoice_id=extracted.invoice_id,
        tenant_id=extracted.tenant_id,
        received_at=extracted.received_at,
        scored_at=scored_at,
        detected_at=extracted.detected_at,
        extracted_at=extracted.extracted_at,
        score=result.score,
        decision=result.decision,
        reasons=result.reasons,
        policy_version=result.policy_version,
        format=extracted.format,
        extractor=extracted.extractor,
        route=extracted.route,
        pages=extracted.pages,
        extraction_reasons=extracted.reasons,
        document_sha256=extracted.document.sha256,
        invoice=extracted.invoice,
        cost=extracted.cost,
    )


def score_event(
    extracted: InvoiceExtracted, policy: TenantPolicy, context: ScoreContext, now: datetime
) -> InvoiceScored:
    """The stage function: score one extracted invoice and return its `InvoiceScored` event (at `now`)."""
    return scored_event(extracted, score(extracted, policy, context, now), now)


def score_agent(ctx: StageContext) -> BatchHandler:
    """The stage shell: decode, look up the tenant's history for the batch, score, produce."""

    async def handle(batch: Sequence[Inbound]) -> Sequence[Outcome]:
        ctx.policies.maybe_reload()
        book = ctx.policies.current()
        outcomes: list[Outcome] = []
        todo: list[tuple[int, Inbound, InvoiceExtracted, TenantPolicy]] = []
        for msg in batch:
            try:
                ev = decode(InvoiceExtracted, msg.value, ctx.memos.events)
                todo.append((len(outcomes), msg, ev, _policy(book.policy_for(ev.tenant_id), ev.tenant_id)))
                outcomes.append(())
            except InvoiceflowError as exc:
                outcomes.append(exc)
        facts = await (await ctx.resources.history()).lookup([_query(ev) for _, _, ev, _ in todo])
        now = datetime.now(UTC)
        for (i, msg, ev, policy), fact in zip(todo, facts, strict=True):
            scored = score_event(ev, policy, context_from(ev, fact), now)
            describe(msg.span, scored)
            value = encode(scored, ctx.memos.events)
            outcomes[i] = [Outbound(SCORED, msg.key or ev.invoice_id.encode(), value, msg.out_headers)]
        return outcomes

    return handle


def _policy(policy: TenantPolicy | None, tenant: str) -> TenantPolicy:
    if policy is None:
        raise UnknownTenant(f"tenant {tenant!r} has no policy and unknown tenants are refused")
    return policy


def _query(ev: InvoiceExtracted) -> HistoryQuery:
    inv = ev.invoice
    keys = business_keys(inv) if inv else ()
    return HistoryQuery(ev.tenant_id, ev.invoice_id, keys, seller_identity(inv) if inv else None)


def context_from(ev: InvoiceExtracted, fact: HistoryFacts) -> ScoreContext:
    """The pure score's context from what the history index said about one invoice."""
    iban = ev.invoice.seller_iban if ev.invoice else None
    changed = bool(fact.vendor_known and fact.vendor_iban and iban and _compact(iban) != _compact(fact.vendor_iban))
    return ScoreContext(duplicate_of=fact.duplicate_of, exact_resend_of=ev.duplicate_of,
                        vendor_known=fact.vendor_known, vendor_iban_changed=changed)


def _compact(iban: str) -> str:
    return iban.replace(" ", "").upper()
