"""What the tenant has seen before: duplicates, exact resends, new vendors and changed bank accounts.

Paying the same invoice twice and paying a fraudster's account are the two costliest mistakes of accounts
payable, so these rules never let an invoice through untouched. The facts themselves (was this key seen,
is this seller known, is this its usual IBAN) need the records database, so the stage's shell looks them up
and hands them in as a `ScoreContext`; the rules stay pure. A duplicate is recognised across formats by its
business key (the same invoice sent as UBL and as a PDF has different bytes but the same seller, number,
amount and date); an exact resend by the document's SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from agents.rules.catalog import Finding
from agents.rules.vat_ids import normalise_vat_id
from schemas import InvoiceData

_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ScoreContext:
    """Facts the score stage's shell looked up (with I/O) before calling the pure `score`.

    Defaults are the cautious ones: a seller is new until the records say otherwise.
    """

    duplicate_of: str | None = None
    """Earlier invoice id of the tenant with one of this invoice's business keys (see `business_keys`)."""
    exact_resend_of: str | None = None
    """Earlier invoice id of the tenant whose document had the same SHA-256."""
    vendor_known: bool = False
    """Whether the seller is in the tenant's vendors table (learned from approved invoices)."""
    vendor_iban_changed: bool = False
    """Whether the seller is known with a different IBAN than this invoice's."""


def _name(value: str) -> str:
    """A name folded for comparison: case, accents, punctuation and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return _NOT_ALNUM.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def seller_identity(invoice: InvoiceData) -> str | None:
    """How the seller is recognised across invoices: its VAT id, else its folded name, else None."""
    if invoice.seller.vat_id and invoice.seller.vat_id.strip():
        return "vat:" + normalise_vat_id(invoice.seller.vat_id)
    name = _name(invoice.seller.name or "")
    return "name:" + name if name else None


def business_keys(invoice: InvoiceData) -> tuple[str, ...]:
    """Every business key of the invoice: by seller VAT id and by seller name, when each is known.

    Storing and looking up all of them finds the same invoice even when one copy (a PDF read from its
    text) lacks the VAT id that the other (the XML) carries.

    Returns:
        Zero, one or two opaque keys (hex digests); none when number, amount due or issue date is missing.
    """
    amount = invoice.amount_due if invoice.amount_due is not None else invoice.total_incl_vat
    number = _name(invoice.invoice_number or "")
    if amount is None or not number or invoice.issue_date is None:
        return ()
    tail = f"{number}|{amount.quantize(_CENT)}|{invoice.issue_date.isoformat()}"
    sellers = []
    if invoice.seller.vat_id and invoice.seller.vat_id.strip():
        sellers.append("vat:" + normalise_vat_id(invoice.seller.vat_id))
    name = _name(invoice.seller.name or "")
    if name:
        sellers.append("name:" + name)
    return tuple(hashlib.sha256(f"bk1|{seller}|{tail}".encode()).hexdigest()[:40] for seller in sellers)


def business_key(invoice: InvoiceData) -> str | None:
    """The primary business key: seller VAT id (or folded name) + invoice number + amount due + issue date.

    Returns:
        An opaque hex key, or None when the invoice lacks what identifies it.
    """
    keys = business_keys(invoice)
    return keys[0] if keys else None


def check(
    invoice_id: str,
    detected_resend_of: str | None,
    context: ScoreContext,
    new_vendor_caps: bool,
    *,
    routed_as_duplicate: bool = False,
) -> list[Finding]:
    """Findings about the tenant's history with this invoice and its seller.

    Args:
        invoice_id: This invoice's id; a match on itself (a redelivered event) is not a duplicate.
        detected_resend_of: The earlier invoice id detection found with the same SHA-256, if any.
        context: What the shell looked up.
        new_vendor_caps: The policy's `new_vendor_caps_at_review`.
        routed_as_duplicate: Detection routed the document as a duplicate (same SHA-256).

    Returns:
        `duplicate_resend`, `duplicate`, `new_vendor` and `vendor_iban_changed` as they apply.
    """
    found: list[Finding] = []
    resend = {detected_resend_of, context.exact_resend_of} - {None, invoice_id}
    if resend or (routed_as_duplicate and detected_resend_of is None):
        found.append(Finding("duplicate_resend"))
    elif context.duplicate_of is not None and context.duplicate_of != invoice_id:
        found.append(Finding("duplicate", "invoice_number"))
    if new_vendor_caps and not context.vendor_known:
        found.append(Finding("new_vendor", "seller.name"))
    if context.vendor_known and context.vendor_iban_changed:
        found.append(Finding("vendor_iban_changed", "seller_iban"))
    return found
