"""The document gate: is there an invoice to score at all, and of which kind?

Detection may already have judged the document invalid, unsupported or not an invoice; extraction may have
read nothing. Those outcomes end scoring with a fixed decision (reject, or the policy's choice for a failed
extraction) and carry the upstream reasons forward, so the scored event explains itself. A readable
document that turns out to be an order or a statement is rejected as `not_invoice`; a credit note (or an
invoice with a negative amount due, which is one in effect) is reviewed when the policy says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from agents.rules.catalog import Finding
from schemas import INVOICE_LIKE, DocType, InvoiceExtracted, Route

_TERMINAL_ROUTES = {
    Route.INVALID: "invalid_document",
    Route.UNSUPPORTED: "unsupported_document",
    Route.NOT_INVOICE: "not_invoice",
}


@dataclass(frozen=True, slots=True)
class Gate:
    """What the gate found, and whether scoring stops here (no invoice fields worth scoring)."""

    findings: tuple[Finding, ...]
    terminal: bool


def check(extracted: InvoiceExtracted, credit_notes_review: bool) -> Gate:
    """Judge the document before its fields are.

    Args:
        extracted: The extraction event (its route, fields and upstream reasons).
        credit_notes_review: The policy's `credit_notes_always_review`.

    Returns:
        A terminal gate for invalid, unsupported, non-invoice, resent-without-fields or unread documents;
        otherwise the non-terminal findings `doc_type_unknown` and `credit_note`.
    """
    code = _TERMINAL_ROUTES.get(extracted.route)
    if code is not None:
        return Gate((Finding(code),), True)
    invoice = extracted.invoice
    if invoice is None:
        if extracted.route is Route.DUPLICATE:
            return Gate((), True)  # the history rule reports the resend
        return Gate((Finding("extraction_failed"),), True)
    kind = invoice.doc_type
    if kind is not DocType.UNKNOWN and kind not in INVOICE_LIKE:
        return Gate((Finding("not_invoice", "doc_type"),), True)
    found: list[Finding] = []
    if kind is DocType.UNKNOWN:
        found.append(Finding("doc_type_unknown", "doc_type"))
    negative = invoice.amount_due is not None and invoice.amount_due < Decimal(0)
    if credit_notes_review and (kind is DocType.CREDIT_NOTE or negative):
        found.append(Finding("credit_note", "doc_type" if kind is DocType.CREDIT_NOTE else "amount_due"))
    return Gate(tuple(found), False)
