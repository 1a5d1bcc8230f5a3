"""The policy models: what one tenant's policy may say, and the book of all tenants' policies.

Kept apart from the loader (`config.policy`) so the vocabulary (field names, overridable rule codes,
actions) reads on one page. Pydantic validates every value; the loader maps a failure to its YAML line.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Action = Literal["ignore", "note", "review", "reject"]
"""What a failed rule does: drop it, report it only, cap the decision at review, or force a reject."""

KNOWN_FIELDS = frozenset(
    {
        "invoice_number", "type_code", "issue_date", "due_date", "currency", "seller_iban", "seller_bic",
        "payment_terms", "order_reference", "line_net_total", "allowance_total", "charge_total", "total_net",
        "total_tax", "total_incl_vat", "prepaid", "rounding", "amount_due", "tax_breakdown", "lines",
        "withholding_total", "stamp_duty",
        *(f"{party}.{name}" for party in ("seller", "buyer") for name in ("name", "vat_id", "legal_id")),
        *(
            f"{party}.address.{name}"
            for party in ("seller", "buyer")
            for name in ("lines", "city", "postal_code", "country")
        ),
    }
)
"""Field names a policy may weigh or require: InvoiceData fields, nested ones dotted (`seller.vat_id`)."""

RULE_CODES = frozenset(
    {
        "line_total_mismatch", "net_total_mismatch", "tax_rate_mismatch", "tax_total_mismatch",
        "tax_base_mismatch", "total_incl_vat_mismatch", "amount_due_mismatch", "issue_date_in_future",
        "due_before_issue", "currency_unknown", "country_unknown", "vat_id_invalid", "seller_unidentified",
        "iban_invalid", "missing_field", "low_confidence", "doc_type_unknown", "currency_not_allowed",
        "amount_over_limit", "rate_base_mismatch", "tax_code_invalid", "signature_not_verified",
    }
)
"""Reason codes whose action a tenant may override in `rule_actions` (the others are fixed or have a flag)."""

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _field_name(name: str) -> str:
    if name not in KNOWN_FIELDS:
        raise ValueError(f"unknown field {name!r} (use InvoiceData names, nested ones dotted: seller.vat_id)")
    return name


def _currency(code: str) -> str:
    if not _CURRENCY.match(code):
        raise ValueError(f"{code!r} is not a currency code (three capital letters)")
    return code


def _limit_key(code: str) -> str:
    return code if code == "*" else _currency(code)


def _rule_code(code: str) -> str:
    if code not in RULE_CODES:
        raise ValueError(f"unknown rule {code!r}; known: {', '.join(sorted(RULE_CODES))}")
    return code


# each item is validated alone, so an error's location names the item (and the loader its YAML line)
FieldName = Annotated[str, AfterValidator(_field_name)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
LimitKey = Annotated[str, AfterValidator(_limit_key)]
RuleCode = Annotated[str, AfterValidator(_rule_code)]
Weight = Annotated[float, Field(ge=0.0, le=100.0)]


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the line of each bad entry."""

    def __init__(self, source: str, problems: list[tuple[int | None, str]]) -> None:
        self.source = source
        self.problems = tuple(problems)
        self.line = next((line for line, _ in problems if line is not None), None)
        text = "; ".join(f"{source}{f' line {line}' if line else ''}: {msg}" for line, msg in problems)
        super().__init__(f"invalid tenant policy: {text}")


class TenantPolicy(BaseModel):
    """One tenant's automation policy (all fields have safe defaults)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(default="unversioned", description="Set by the loader: book version and hash.")
    auto_approve_threshold: float = Field(default=0.85, ge=0.0, le=1.0, description="Auto-approve at or above.")
    reject_threshold: float = Field(default=0.4, ge=0.0, le=1.0, description="Reject below this score.")
    field_weights: dict[FieldName, Weight] = Field(default_factory=dict, description="Importance of fields.")
    critical_fields: tuple[FieldName, ...] = Field(default=(), description="Lowest confidence among these caps.")
    required_fields: tuple[FieldName, ...] = Field(default=(), description="Fields that must be present.")
    min_field_confidence: float = Field(default=0.5, ge=0.0, le=1.0, description="Below: low_confidence.")
    text_confidence_floor: float = Field(
        default=0.8, ge=0.0, le=1.0, description="Extract cascade: a local text read below this goes paid."
    )
    max_auto_approve_amount: dict[LimitKey, Annotated[Decimal, Field(ge=0)]] = Field(
        default_factory=dict, description="Largest amount due auto-approved, per currency; '*' for others."
    )
    allowed_currencies: tuple[CurrencyCode, ...] | None = Field(default=None, description="None: any ISO 4217.")
    credit_notes_always_review: bool = Field(default=True, description="Never auto-approve credit notes.")
    new_vendor_caps_at_review: bool = Field(default=True, description="A seller not seen before: review.")
    max_future_days: int = Field(default=1, ge=0, le=3660, description="Issue date tolerance into future.")
    arithmetic_tolerance: Decimal = Field(default=Decimal("0.01"), ge=0, description="Per operation.")
    extraction_failed: Literal["review", "reject"] = Field(default="review", description="Nothing read.")
    duplicate: Literal["review", "reject"] = Field(default="review", description="Same business key.")
    exact_resend: Literal["review", "reject"] = Field(default="reject", description="Same bytes again.")
    rule_actions: dict[RuleCode, Action] = Field(default_factory=dict, description="Override a rule's action.")
    paid_model: str | None = Field(default=None, description="Paid model id for this tenant (default: settings).")
    paid_models_by_vendor: dict[str, str] = Field(
        default_factory=dict, description="Custom model id per seller VAT id (compact, upper case)."
    )
    daily_page_budget: int | None = Field(default=None, ge=0, description="Paid pages per day; then wait.")

    @model_validator(mode="after")
    def _thresholds(self) -> TenantPolicy:
        if self.reject_threshold > self.auto_approve_threshold:
            raise ValueError("reject_threshold must not be above auto_approve_threshold")
        return self

    def fingerprint(self) -> str:
        """A short hash of the effective settings (version excluded): changes whenever a setting does."""
        body = self.model_dump(mode="json", exclude={"version"})
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:10]


def _check_field(name: str) -> None:
    if name not in KNOWN_FIELDS:
        raise ValueError(f"unknown field {name!r} (use InvoiceData names, nested ones dotted: seller.vat_id)")


class PolicyBook(BaseModel):
    """Every tenant's policy, the default for the others, and whether unknown tenants are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=64, description="Explicit version of the file.")
    default: TenantPolicy = Field(description="Policy of tenants not listed.")
    tenants: dict[str, TenantPolicy] = Field(default_factory=dict, description="Per-tenant policies.")
    refuse_unknown: bool = Field(default=False, description="Dead-letter unlisted tenants (unknown_tenant).")
    digest: str = Field(default="", description="SHA-256 of the file text, set by the loader.")

    def policy_for(self, tenant: str) -> TenantPolicy | None:
        """The tenant's policy; the default for unlisted tenants, or None when they are refused."""
        found = self.tenants.get(tenant)
        if found is not None:
            return found
        return None if self.refuse_unknown else self.default
