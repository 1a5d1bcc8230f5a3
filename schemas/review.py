"""What a reviewer says about one invoice (topic `invoices.reviewed`, version 1), and the API's review answers.

A review is the ground truth the pipeline learns from: the field values the reviewer corrected (typed, under
the names extraction uses, nested ones dotted as in the tenant policy: `seller.name`) and the final decision.
A field the reviewer left alone is absent: it was right. Its event id is derived from what the review says
(tenant, invoice, corrections, decision, reviewer), not from when it was sent, so a resent review, even one
typed again, is the same event and changes nothing downstream.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from schemas._base import Contract, Event, event_id_for
from schemas._common import Decision, DocumentRef, Reason
from schemas.invoice import InvoiceData


class ReviewDecision(StrEnum):
    """The reviewer's final word on an invoice."""

    APPROVE = "approve"
    REJECT = "reject"


def _text(description: str, alias: str | None = None) -> Any:
    return Field(default=None, min_length=1, max_length=500, description=description, alias=alias)


def _amount(description: str) -> Any:
    return Field(default=None, max_digits=18, decimal_places=6, description=description)


class FieldCorrections(Contract):
    """Corrected field values, typed, under the names extraction and the policy use (absent: unchanged).

    Nested fields are dotted (`seller.name`), exactly as in the tenant policy's `field_weights` and in the
    extraction's per-field confidence; any other name is refused with the list of names allowed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, serialize_by_alias=True)

    invoice_number: str | None = _text("Invoice number (BT-1).")
    type_code: str | None = Field(default=None, pattern=r"^[0-9]{3}$", description="UNTDID 1001 code (BT-3).")
    issue_date: date | None = Field(default=None, description="Issue date (BT-2).")
    due_date: date | None = Field(default=None, description="Payment due date (BT-9).")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217 currency (BT-5).")
    seller_name: str | None = _text("Seller name (BT-27).", "seller.name")
    seller_vat_id: str | None = _text("Seller VAT identifier (BT-31).", "seller.vat_id")
    seller_legal_id: str | None = _text("Seller registration id (BT-30).", "seller.legal_id")
    buyer_name: str | None = _text("Buyer name (BT-44).", "buyer.name")
    buyer_vat_id: str | None = _text("Buyer VAT identifier (BT-48).", "buyer.vat_id")
    buyer_legal_id: str | None = _text("Buyer registration id (BT-47).", "buyer.legal_id")
    seller_iban: str | None = _text("Payment account IBAN (BT-84).")
    seller_bic: str | None = _text("Payment service provider BIC (BT-86).")
    payment_terms: str | None = _text("Payment terms text (BT-20).")
    order_reference: str | None = _text("Purchase order reference (BT-13).")
    line_net_total: Decimal | None = _amount("Sum of line net amounts (BT-106).")
    allowance_total: Decimal | None = _amount("Document allowances (BT-107).")
    charge_total: Decimal | None = _amount("Document charges (BT-108).")
    total_net: Decimal | None = _amount("Total without VAT (BT-109).")
    total_tax: Decimal | None = _amount("Total VAT (BT-110).")
    total_incl_vat: Decimal | None = _amount("Total with VAT (BT-112).")
    prepaid: Decimal | None = _amount("Paid amount (BT-113).")
    rounding: Decimal | None = _amount("Rounding amount (BT-114).")
    amount_due: Decimal | None = _amount("Amount due for payment (BT-115).")

    @model_validator(mode="before")
    @classmethod
    def _known_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(k) for k in data if k not in _ACCEPTED)
            if unknown:
                raise ValueError(f"unknown field {unknown[0]!r}; correctable fields: {', '.join(CORRECTABLE)}")
        return data

    def values(self) -> dict[str, Any]:
        """The corrected fields only, by their extraction names (dotted)."""
        return {CORRECTABLE[i]: v for i, name in enumerate(_ATTRIBUTES) if (v := getattr(self, name)) is not None}


_ATTRIBUTES: tuple[str, ...] = tuple(FieldCorrections.model_fields)
CORRECTABLE: tuple[str, ...] = tuple(f.alias or n for n, f in FieldCorrections.model_fields.items())
"""The names of the fields a review may correct, as extraction and the policy name them."""
_ACCEPTED = frozenset(CORRECTABLE) | frozenset(_ATTRIBUTES)


def review_event_id(invoice_id: str, tenant_id: str, corrections: FieldCorrections, decision: ReviewDecision,
                    reviewer: str) -> str:
    """The id of a review: the same review (whenever it is sent, however often) always gets the same id.

    Args:
        invoice_id: The invoice reviewed.
        tenant_id: Its tenant.
        corrections: The corrected values.
        decision: approve or reject.
        reviewer: Who reviewed it.
    """
    said = json.dumps([tenant_id, corrections.model_dump(mode="json", exclude_none=True), decision.value,
                       reviewer], sort_keys=True, separators=(",", ":"))
    return event_id_for("review", invoice_id, hashlib.sha256(said.encode()).hexdigest())


class InvoiceReviewed(Event):
    """A reviewer's corrections and final decision on an invoice (topic `invoices.reviewed`).

    The event id is `review_event_id` of what the review says: a sender may leave it out (it is filled in)
    but not send another one. `received_at` is when the review entered the pipeline (default: now).
    """

    event_id: str = Field(default="", description="review_event_id of the review; filled in when left out.")
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC),
                                  description="When the review entered the pipeline (UTC).")
    schema_version: Literal[1] = Field(default=1, description="Contract version.")
    corrections: FieldCorrections = Field(default_factory=FieldCorrections,
                                          description="Corrected field values; a field left out was right.")
    decision: ReviewDecision = Field(description="The final decision: approve or reject.")
    reviewer: str = Field(min_length=1, max_length=200, description="Who reviewed it (a person or a system).")
    reviewed_at: datetime = Field(description="When the review was made (UTC).")
    document: DocumentRef | None = Field(
        default=None, description="The document reviewed, when the sender has it (its sha256 must be the recorded "
        "document's): the seller's layout is learned from a reviewed text PDF. Not part of the event id.")

    @model_validator(mode="after")
    def _id_of_what_it_says(self) -> InvoiceReviewed:
        expected = review_event_id(self.invoice_id, self.tenant_id, self.corrections, self.decision, self.reviewer)
        if not self.event_id:
            object.__setattr__(self, "event_id", expected)  # frozen: set once, while validating
        elif self.event_id != expected:
            raise ValueError(f"event_id must be {expected} for this review (see review_event_id)")
        return self


class ReviewRequest(Contract):
    """The body of `POST /api/v1/invoices/{id}/review`."""

    tenant: str | None = Field(default=None, max_length=100, description="The tenant (required for admins).")
    corrections: FieldCorrections = Field(default_factory=FieldCorrections, description="Corrected values.")
    decision: ReviewDecision = Field(description="approve or reject.")
    reviewer: str | None = Field(default=None, min_length=1, max_length=200,
                                 description="Who reviewed it (default: the token's id).")


class ReviewAccepted(Contract):
    """The answer to a review: the event published."""

    event_id: str = Field(description="The review's event id (the same for the same review).")
    invoice_id: str = Field(description="The invoice reviewed.")
    tenant_id: str = Field(description="Its tenant.")
    topic: str = Field(description="Where it was published.")


class ReviewQueueItem(Contract):
    """An invoice waiting for review, with the fields extraction read."""

    invoice_id: str = Field(description="The invoice's id.")
    scored_at: datetime = Field(description="When it was scored.")
    score: float = Field(description="Its score.")
    decision: Decision = Field(description="Its latest decision (review).")
    extractor: str = Field(description="The reader that read it.")
    reasons: tuple[Reason, ...] = Field(default=(), description="Why it needs review.")
    fields: dict[str, str | None] = Field(description="Each correctable field as extracted (text), by name.")


class ReviewQueue(Contract):
    """`GET /api/v1/reviews`: the tenant's invoices whose latest decision is review and not yet reviewed."""

    tenant_id: str = Field(description="The tenant.")
    fields: tuple[str, ...] = Field(description="The correctable field names, in display order.")
    items: tuple[ReviewQueueItem, ...] = Field(description="Oldest first.")


class FieldAccuracy(Contract):
    """How often one field was right (left unchanged by the reviewer)."""

    checked: int = Field(ge=0, description="Reviews of invoices where the field was read or corrected.")
    right: int = Field(ge=0, description="Of those, how many the reviewer left unchanged.")
    accuracy: float | None = Field(description="right / checked (None when nothing was checked).")


class AccuracyGroup(Contract):
    """Field accuracy of one tenant's invoices read by one extractor from one vendor (seller key)."""

    tenant_id: str = Field(description="The tenant.")
    extractor: str = Field(description="The reader.")
    vendor: str | None = Field(description="The seller key (vat:... or name:...), None when unidentified.")
    reviews: int = Field(ge=0, description="Reviewed invoices.")
    total: FieldAccuracy = Field(description="Over every field.")
    fields: dict[str, FieldAccuracy] = Field(description="Per field.")


class AccuracyResponse(Contract):
    """`GET /api/v1/accuracy`: field accuracy from reviews, per extractor and vendor, and per extractor."""

    tenant_id: str | None = Field(description="The tenant (None: every tenant, admins only).")
    groups: tuple[AccuracyGroup, ...] = Field(description="Per tenant, extractor and vendor.")
    extractors: dict[str, FieldAccuracy] = Field(description="Per extractor, over every vendor.")
    total: FieldAccuracy = Field(description="Over everything.")


def extracted_fields(invoice: InvoiceData) -> FieldCorrections:
    """The correctable fields of an extraction, as a `FieldCorrections` (unvalidated: extraction read what it
    read, and the comparison with a review needs the values as they are)."""
    flat: dict[str, Any] = {}
    for name in _ATTRIBUTES:
        if name in InvoiceData.model_fields:
            flat[name] = getattr(invoice, name)
        else:  # seller_name -> invoice.seller.name
            party, _, attribute = name.partition("_")
            flat[name] = getattr(getattr(invoice, party), attribute)
    return FieldCorrections.model_construct(**flat)
