"""Every reason code the score stage can give, with its human message, default action and score penalty.

Codes are stable snake_case identifiers that downstream programs match on; messages are one sentence a
person can read and never quote document content (only field names, carried separately in `Reason.field`).
A rule module only says *which* code failed on *which* field (a `Finding`); what that does to the decision
is decided here and by the tenant policy (`rule_actions` may override the action of the codes listed in
`config.policy.RULE_CODES`; the others are fixed or switched by a named policy flag).
"""

from __future__ import annotations

from dataclasses import dataclass

from config.policy import Action


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that failed: its reason code and the field it is about, if any."""

    code: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """What a reason code means and does by default."""

    code: str
    message: str
    action: Action
    penalty: float = 1.0
    """Multiplies the score when the finding caps or forces the decision (once per group)."""
    group: str = ""
    """Findings of one group share one penalty (the strongest): one wrong total breaks several sums."""


def _spec(code: str, message: str, action: Action, penalty: float = 1.0, group: str = "") -> RuleSpec:
    return RuleSpec(code, message, action, penalty, group or code)


_SUMS = "arithmetic"
_IDS = "identity"


_SPECS = (
    # the document itself (fixed: not overridable)
    _spec("not_invoice", "The document is not an invoice, credit note or similar.", "reject", 0.0),
    _spec("invalid_document", "Detection, or the reader of an e-invoice breaking its standard's rules, found the "
          "document invalid; see its reasons.", "reject", 0.0),
    _spec("unsupported_document", "The document format is not supported; see its reasons.", "reject", 0.0),
    _spec("extraction_failed", "No invoice fields could be read from the document.", "review", 0.0),
    _spec("doc_type_unknown", "The kind of document (invoice or credit note) could not be told.", "review"),
    _spec("credit_note", "Credit notes are always reviewed under this policy.", "review"),
    # duplicates and vendor (fixed; strength set by policy flags)
    _spec("duplicate", "The same invoice (seller, number, amount, date) was seen before.", "review"),
    _spec("duplicate_resend", "The very same document was received before.", "reject"),
    _spec("new_vendor", "The seller has not been seen before for this tenant.", "review"),
    _spec("vendor_iban_changed", "The seller's bank account differs from the one on record.", "review"),
    # validation (overridable in rule_actions)
    _spec("line_total_mismatch", "The sum of line net amounts differs from the line total (BT-106).",
          "review", 0.6, _SUMS),
    _spec("net_total_mismatch", "Net total (BT-109) is not line total - allowances + charges.", "review", 0.6, _SUMS),
    _spec("tax_rate_mismatch", "A VAT breakdown's tax is not its taxable amount times its rate.",
          "review", 0.6, _SUMS),
    _spec("tax_total_mismatch", "Total VAT (BT-110) is not the sum of the VAT breakdown.", "review", 0.6, _SUMS),
    _spec("tax_base_mismatch", "The VAT breakdown's taxable amounts do not add up to the net total.",
          "review", 0.7, _SUMS),
    _spec("total_incl_vat_mismatch", "Total with VAT (BT-112) is not net total + VAT.", "review", 0.6, _SUMS),
    _spec("amount_due_mismatch", "Amount due (BT-115) is not total with VAT - prepaid + rounding.",
          "review", 0.6, _SUMS),
    _spec("issue_date_in_future", "The issue date lies in the future.", "review", 0.7, "dates"),
    _spec("due_before_issue", "The due date is before the issue date.", "review", 0.85, "dates"),
    _spec("currency_unknown", "The currency is not an ISO 4217 code.", "review", 0.5),
    _spec("country_unknown", "A country is not an ISO 3166-1 alpha-2 code.", "review", 0.9),
    _spec("vat_id_invalid", "A VAT identifier fails its country's syntax or check digits.", "review", 0.9, _IDS),
    _spec("seller_unidentified", "The seller has neither a VAT identifier nor a legal registration id.",
          "review", 0.9, _IDS),
    _spec("rate_base_mismatch", "The lines at a VAT rate do not add up to that rate's taxable amount "
          "(FatturaPA DatiRiepilogo).", "review", 0.6, _SUMS),
    _spec("tax_code_invalid", "An Italian codice fiscale fails its check character or check digit.",
          "review", 0.9, _IDS),
    _spec("signature_not_verified", "The document's signature does not verify: it may have been altered "
          "after it was signed.", "review", 0.5),
    _spec("iban_invalid", "The payment IBAN fails its length or mod-97 check.", "review", 0.8),
    _spec("missing_field", "A field the policy requires is missing.", "review"),
    _spec("low_confidence", "A field was read too unsurely (below the policy minimum or the auto-approval "
          "threshold) for the invoice to pass without a person.", "review"),
    _spec("currency_not_allowed", "The currency is not among those the policy allows.", "review"),
    _spec("amount_over_limit", "The amount due is above the policy's auto-approval limit.", "review"),
)

SPECS: dict[str, RuleSpec] = {spec.code: spec for spec in _SPECS}
"""Reason code -> its meaning and default effect."""
