"""`invoiceflow review`, `invoiceflow metrics --accuracy` and `invoiceflow policy suggest`: reviews in, what
they teach out.

`review` publishes an `InvoiceReviewed` event (checked here first, so a bad field name or value is refused
with the names allowed before anything is sent); the review stage stores it. `metrics --accuracy` prints
field accuracy per extractor and vendor from the stored reviews. `policy suggest` prints the auto-approve
threshold the tenant's reviews support and the YAML to apply it; it never edits the policy file, which stays
the one source of truth.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agents.calibrate import DEFAULT_TARGET, Suggestion, evidence_of, suggest_threshold, touchless_share
from config.policy import TenantPolicy, load_policy_book
from config.settings import Settings
from config.topics import REVIEWED
from schemas import AccuracyResponse, DocumentRef, FieldAccuracy, InvoiceReviewed
from streams.codecs import decode
from streams.errors import ConfigError, UnknownTenant
from streams.publisher import Publisher, received_for_file
from streams.sinks.postgres import open_pool
from streams.sinks.reviews import PostgresReviews

Sub = Any  # argparse's private _SubParsersAction


def register_review(sub: Sub) -> None:
    """`invoiceflow review INVOICE_ID --tenant T --set field=value ... --decision approve|reject`."""
    p = sub.add_parser("review", help="publish a reviewer's corrections and final decision for an invoice")
    p.add_argument("invoice_id")
    p.add_argument("--tenant", required=True)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="FIELD=VALUE",
                   help="a corrected field (extraction's names, nested ones dotted: seller.name); repeat")
    p.add_argument("--decision", required=True, choices=["approve", "reject"])
    p.add_argument("--reviewer", default=None, help="who reviewed it (default: cli:<login name>)")
    p.add_argument("--document", type=Path, default=None,
                   help="the invoice's file, read by workers as file:// (default: the document the invoice was "
                   "recorded with; either way a reviewed text PDF teaches its seller's layout)")
    p.set_defaults(func=lambda a: _review_command(Settings(), a))


def _review_command(settings: Settings, a: Any) -> int:
    ref = received_for_file(a.document.resolve(), a.tenant, settings).document if a.document else None
    return asyncio.run(publish_review(settings, a.invoice_id, a.tenant, a.sets, a.decision,
                                      a.reviewer or f"cli:{getpass.getuser()}", ref))


def register_policy(sub: Sub) -> None:
    """`invoiceflow policy suggest --tenant T [--target 0.005]`."""
    p = sub.add_parser("policy", help="tenant policy: suggest an auto-approve threshold from reviews")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = actions.add_parser("suggest", help="the threshold reviews support (prints the YAML; edits nothing)")
    s.add_argument("--tenant", required=True)
    s.add_argument("--target", type=float, default=DEFAULT_TARGET,
                   help=f"largest share of wrong auto-approvals (default {DEFAULT_TARGET})")
    s.add_argument("--min-evidence", type=int, default=None,
                   help="auto-approvals a threshold must rest on (default 1/target)")
    s.set_defaults(func=lambda a: asyncio.run(suggest(Settings(), a.tenant, a.target, a.min_evidence)))


def review_of(invoice_id: str, tenant: str, sets: Sequence[str], decision: str, reviewer: str,
              document: DocumentRef | None = None) -> InvoiceReviewed:
    """The review event the command line describes (a `SchemaError` naming the bad field, or a `ConfigError`)."""
    corrections: dict[str, str] = {}
    for item in sets:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise ConfigError(f"--set takes FIELD=VALUE, not {item!r}")
        corrections[name.strip()] = value.strip()
    body = {"invoice_id": invoice_id, "tenant_id": tenant, "corrections": corrections, "decision": decision,
            "reviewer": reviewer, "reviewed_at": datetime.now(UTC).isoformat()}
    if document is not None:
        body["document"] = document.model_dump(mode="json", exclude_none=True)
    return decode(InvoiceReviewed, json.dumps(body).encode())


async def publish_review(settings: Settings, invoice_id: str, tenant: str, sets: Sequence[str], decision: str,
                         reviewer: str, document: DocumentRef | None = None) -> int:
    """Check and publish one review (nothing is sent when it is refused), and say what was sent."""
    event = review_of(invoice_id, tenant, sets, decision, reviewer, document)
    async with Publisher(settings, REVIEWED) as pub:
        await pub.publish([event])
        topic = pub.topic
    sys.stdout.write(f"review {event.event_id} of invoice {event.invoice_id} ({event.decision.value}, "
                     f"{len(event.corrections.values())} correction(s)) published to {topic}\n")
    return 0


async def _reviews(settings: Settings) -> tuple[Any, PostgresReviews]:
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
    return pool, PostgresReviews(pool)


async def print_accuracy(settings: Settings, tenant: str | None, as_json: bool) -> int:
    """Field accuracy from the stored reviews, as a table (or the API's JSON)."""
    pool, reviews = await _reviews(settings)
    try:
        found = await reviews.accuracy(tenant)
    finally:
        await pool.close()
    sys.stdout.write((found.model_dump_json(indent=2) if as_json else format_accuracy(found)) + "\n")
    return 0


def _pct(figure: FieldAccuracy) -> str:
    rate = "-" if figure.accuracy is None else f"{figure.accuracy:.1%}"
    return f"{rate:>7} ({figure.right}/{figure.checked})"


def format_accuracy(found: AccuracyResponse) -> str:
    """`metrics --accuracy`'s table: per tenant, extractor and vendor, then per extractor and overall."""
    lines = [f"{'tenant':<20} {'extractor':<24} {'vendor':<28} {'reviews':>7}  field accuracy (right/checked)"]
    for g in found.groups:
        worst = sorted((f for f in g.fields.items() if f[1].accuracy is not None and f[1].accuracy < 1),
                       key=lambda f: (f[1].accuracy, f[0]))[:3]
        missed = ", ".join(f"{name} {_pct(fig).strip()}" for name, fig in worst)
        lines.append(f"{g.tenant_id:<20} {g.extractor:<24} {g.vendor or '-':<28} {g.reviews:>7}  {_pct(g.total)}"
                     + (f"  worst: {missed}" if missed else ""))
    for extractor, fig in found.extractors.items():
        lines.append(f"extractor {extractor}: {_pct(fig).strip()}")
    lines.append(f"all: {_pct(found.total).strip()} over {sum(g.reviews for g in found.groups)} review(s)")
    return "\n".join(lines)


async def suggest(settings: Settings, tenant: str, target: float, min_evidence: int | None) -> int:
    """Print the threshold the tenant's reviews support, what it would have done, and the YAML to apply."""
    if not 0 < target < 1:
        raise ConfigError("--target is a share between 0 and 1, e.g. 0.005 for 0.5%")
    policy = load_policy_book(settings.policy_file).policy_for(tenant)
    if policy is None:
        raise UnknownTenant(f"tenant {tenant!r} has no policy and unknown tenants are refused")
    pool, reviews = await _reviews(settings)
    try:
        outcomes, scored = await reviews.outcomes(tenant), await reviews.scored(tenant)
    finally:
        await pool.close()
    weighed = [evidence_of(o.score, o.decision, o.fields_right, o.reason_codes, policy) for o in outcomes]
    evidence = [e for e in weighed if e is not None]
    found = suggest_threshold(evidence, target, min_evidence)
    where = str(settings.policy_file or "INVOICEFLOW_POLICY_FILE (the built-in default is in force)")
    overall = Overall(len(outcomes) - len(evidence), len(scored), touchless_share(found.threshold, scored, policy),
                      touchless_share(policy.auto_approve_threshold, scored, policy))
    sys.stdout.write(format_suggestion(tenant, found, policy, where, overall) + "\n")
    return 0


@dataclass(frozen=True, slots=True)
class Overall:
    """What the suggestion means beyond the evidence: reviews left out, and the tenant's whole record."""

    held: int
    """Reviewed invoices left out because a rule held them at review."""
    scored: int
    """The tenant's scored invoices."""
    touchless: float | None
    """Share of them the suggested threshold would auto-approve."""
    touchless_now: float | None
    """Share of them the threshold in force auto-approves (by the same rule)."""


def format_suggestion(tenant: str, found: Suggestion, policy: TenantPolicy, where: str,
                      overall: Overall | None = None) -> str:
    """What `policy suggest` prints: the threshold, its evidence, and the YAML snippet to apply it."""
    snippet = ["tenants:", f"  {tenant}:", f"    auto_approve_threshold: {found.threshold:g}"]
    if policy.reject_threshold > found.threshold:  # the file refuses a reject threshold above auto-approve
        snippet.append(f"    reject_threshold: {found.threshold:g}   # was {policy.reject_threshold:g}")
    return "\n".join([
        f"tenant {tenant}: suggested auto_approve_threshold {found.threshold:g} "
        f"(in force: {policy.auto_approve_threshold:g})",
        f"  wrong auto-approvals: {found.wrong} of {found.approved} ({found.wrong_rate:.2%}; target "
        f"{found.target:.2%}; wrong = rejected, or one of {', '.join(policy.critical_fields) or 'no field'} "
        "corrected)",
        f"  expected touchless rate: {found.touchless_rate:.1%} of the reviewed invoices" + (
            f"; {overall.touchless:.1%} of the tenant's {overall.scored} scored invoice(s) (threshold in force: "
            f"{overall.touchless_now or 0:.1%})" if overall and overall.touchless is not None else ""),
        f"  evidence: {found.evidence} reviewed invoice(s)" + (
            f" ({overall.held} more left out: a rule held them at review whatever their score)"
            if overall and overall.held else ""),
        f"to apply it, put this in {where} (nothing was changed):",
        *snippet,
    ])
