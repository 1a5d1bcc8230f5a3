"""Paid extraction in the extract stage: when to pay, which model, and what the reading becomes.

Paying is the last resort: a scan or image always needs it (unless local OCR is on), a text PDF only when
its local reading cannot be trusted (it fails its self-check, or a critical field is less sure than the
tenant's `text_confidence_floor`). The decision and the model choice are pure; `read_paid` is the one call
to the service, inside the quota and time budget the extractor enforces, never paying twice for a document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agents.readers.azure_map import map_analyze_result
from config.policy import TenantPolicy
from schemas import Cost, DocumentDetected, InvoiceData, Reason, Route
from streams.azure import AnalyzeOutcome, AzureExtractor, ResumeAction
from streams.documents import remote_url
from streams.training import vendor_key

_SELF_CHECK_FAILURES = frozenset({"text_totals_mismatch", "text_lines_mismatch", "text_empty"})


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the extract stage read: by which reader, the fields, the cost, the local reading it replaced, and
    the route the reading ends the document on when it found it invalid (None: detect's route stands)."""

    extractor: str
    invoice: InvoiceData | None
    reasons: tuple[Reason, ...] = ()
    cost: Cost = field(default_factory=Cost)
    pages: int | None = None
    local_reading: InvoiceData | None = None
    route: Route | None = None


def escalation_reason(invoice: InvoiceData | None, reasons: tuple[Reason, ...], policy: TenantPolicy) -> Reason | None:
    """Why a local text reading should go to the paid extractor, or None when it can be trusted.

    Args:
        invoice: The local reading (None when nothing was read).
        reasons: The local reader's findings.
        policy: The tenant's policy (`critical_fields`, `text_confidence_floor`).
    """
    if invoice is None:
        return Reason(code="escalated_unreadable", message="The local reader could not read the document.")
    failed = sorted({r.code for r in reasons} & _SELF_CHECK_FAILURES)
    if failed:
        return Reason(code="escalated_self_check", message=f"The local reading failed its self-check ({failed[0]}).")
    for name in policy.critical_fields:
        conf = invoice.confidence.get(name, 0.0)
        if conf < policy.text_confidence_floor:
            return Reason(code="escalated_low_confidence", field=name,
                          message=f"The local reading of {name} is less sure than the tenant's floor.")
    return None


def model_for(policy: TenantPolicy, local: InvoiceData | None, default_model: str,
              custom: Mapping[str, str] | None = None) -> str:
    """The paid model for one document.

    Args:
        policy: The tenant's policy: a model named per seller or for the tenant there wins (the operator's word).
        local: The local reading, whose seller VAT id names the vendor (None: the vendor is unknown).
        default_model: The model for tenants that choose none (settings).
        custom: The tenant's active custom models by vendor (`invoiceflow train`; '' is tenant-wide).

    Returns:
        The policy's model for the seller, else the seller's active custom model, else the policy's model for
        the tenant, else a tenant-wide custom model, else the default.
    """
    routes = custom or {}
    vendor = vendor_key(local.seller.vat_id if local else None)
    if vendor:
        chosen = policy.paid_models_by_vendor.get(vendor) or routes.get(vendor)
        if chosen:
            return chosen
    return policy.paid_model or routes.get("") or default_model


def paid_extraction(outcome: AnalyzeOutcome, local: InvoiceData | None, why: Reason | None) -> Extraction:
    """The extraction made of the service's answer (and the local reading it replaced, if any)."""
    invoice, pages = map_analyze_result(outcome.result)
    reasons: list[Reason] = [why] if why else []
    if outcome.source is ResumeAction.REUSE:
        reasons.append(Reason(code="paid_result_reused", message="A stored result was reused: nothing paid again."))
    elif outcome.source is ResumeAction.RESUME:
        reasons.append(Reason(code="paid_operation_resumed", message="A stored operation was resumed, not sent again."))
    cost = Cost(pages=outcome.pages or pages, model=outcome.model_id, usd=outcome.usd)
    return Extraction(f"azure:{outcome.model_id}", invoice, tuple(reasons), cost, outcome.pages or pages, local)


async def read_paid(extractor: AzureExtractor, detected: DocumentDetected, content: bytes | None, model: str,
                    budget_s: float) -> AnalyzeOutcome:
    """Analyze one document: from its https URL when it has one (no download), else from its bytes."""
    source: bytes | str = remote_url(detected.document) or content or b""
    return await extractor.analyze(source, sha256=detected.document.sha256, model_id=model,
                                   tenant_id=detected.tenant_id, budget_s=budget_s,
                                   expected_pages=detected.pages or 1)
