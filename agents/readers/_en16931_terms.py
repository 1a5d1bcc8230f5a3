"""The EN 16931 terms the core check needs beyond `InvoiceData`, gathered in the UBL and CII readers' own walk.

The check (`_en16931_check`) judges what the reader read: the invoice's number, dates, parties, totals,
lines and VAT breakdown come from the `InvoiceData` it builds, whose amounts are already parsed. A few terms
no reader keeps are needed as well: the specification identifier (BT-24), the seller's and buyer's legal
name and identifiers as the standard names them, each line's item name and VAT category, the document
allowances and charges, and every VAT breakdown row with its category's tax scheme and exemption reason
(the reader keeps only rows with both amounts). The readers add the paths of these terms to the `Fields`
they already walk (the ``*_TERMS`` specs below, spliced into theirs) and hand the `Found` of each node to
the builders here, so no node is walked twice; only the allowances and charges, which no reader reads,
are walked here.

A category counts only under the VAT scheme (or an unstated one): a tax of another scheme is no BT-118.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from agents.readers._fields import Fields, Found
from agents.readers._xpath import parse_amount

__all__ = [
    "CII_LINE_TAX_TERMS",
    "CII_PARTY_TERMS",
    "CII_SETTLEMENT_TERMS",
    "CII_TAX_TERMS",
    "DOCUMENT_TERMS",
    "UBL_LINE_TERMS",
    "UBL_PARTY_TERMS",
    "UBL_SUBTOTAL_TERMS",
    "Breakdown",
    "Charge",
    "CoreTerms",
    "LineTerms",
    "PartyTerms",
    "breakdown",
    "cii_charges",
    "cii_party",
    "line_terms",
    "ubl_charges",
    "ubl_party",
    "vat_category",
]


@dataclass(frozen=True, slots=True)
class PartyTerms:
    """The seller (BG-4) or buyer (BG-7) as the standard names it: its legal name (BT-27/BT-44), whether
    any identifier is given (BT-29, BT-30, BT-31 or a tax registration), and its VAT identifiers."""

    name: str | None
    identified: bool
    vat_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LineTerms:
    """What a line (BG-25) states beyond the reader's `LineItem`: whether its item has a name (BT-153, not
    the description the reader falls back on) and its VAT category (BT-151)."""

    named: bool
    category: str | None


@dataclass(frozen=True, slots=True)
class Charge:
    """A document level allowance (BG-20) or charge (BG-21): its amount, VAT category, and the base amount and
    percentage it may be computed from (BT-93/BT-94, BT-100/BT-101)."""

    is_charge: bool
    amount: Decimal | None
    category: str | None
    base: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Breakdown:
    """One VAT breakdown row (BG-23) as stated (None: absent or not a number), and whether it gives an
    exemption reason (text BT-120 or code BT-121)."""

    category: str | None
    rate: Decimal | None
    basis: Decimal | None
    tax: Decimal | None
    exemption_reason: bool


@dataclass(frozen=True, slots=True)
class CoreTerms:
    """The terms of one invoice the EN 16931 check reads beside its `InvoiceData` (`lines` in the order of
    `InvoiceData.lines`)."""

    specification: str | None
    seller: PartyTerms
    buyer: PartyTerms
    lines: tuple[LineTerms, ...]
    charges: tuple[Charge, ...]
    breakdowns: tuple[Breakdown, ...]


def vat_category(found: Found, code: str = "category", scheme: str = "scheme") -> str | None:
    """A category code whose tax scheme is VAT (or unstated), else None."""
    category = found.text(code)
    if category is None:
        return None
    tax_scheme = found.text(scheme)
    return category if tax_scheme is None or tax_scheme.upper() in _VAT_SCHEMES else None


def line_terms(name: str | None, tax: Found | None) -> LineTerms:
    """A line's terms: its item name as the reader read it, and its VAT category from the walk that holds it
    (the line's own in UBL, its first ApplicableTradeTax in CII; None when it has none)."""
    return LineTerms(named=name is not None, category=None if tax is None else vat_category(tax))


def breakdown(found: Found, basis: Decimal | None, tax: Decimal | None, rate: Decimal | None) -> Breakdown:
    """A breakdown row from the reader's walk of it and the amounts it parsed."""
    return Breakdown(
        category=vat_category(found),
        rate=rate,
        basis=basis,
        tax=tax,
        exemption_reason=found.text("reason") is not None or found.text("reason_code") is not None,
    )


# --- the paths each reader adds to its own Fields ------------------------------------------------------------

DOCUMENT_TERMS = {  # BT-24 and the document allowances and charges, under the UBL root
    "specification": "CustomizationID",
    "charges": "AllowanceCharge",
}
UBL_PARTY_TERMS = {"party_id": "PartyIdentification/ID"}
UBL_LINE_TERMS = {"category": "Item/ClassifiedTaxCategory/ID", "scheme": "Item/ClassifiedTaxCategory/TaxScheme/ID"}
UBL_SUBTOTAL_TERMS = {
    "scheme": "TaxCategory/TaxScheme/ID",
    "reason": "TaxCategory/TaxExemptionReason",
    "reason_code": "TaxCategory/TaxExemptionReasonCode",
}
CII_PARTY_TERMS = {"party_id": "ID|GlobalID"}
CII_SETTLEMENT_TERMS = {"charges": "SpecifiedTradeAllowanceCharge"}
CII_TAX_TERMS = {"scheme": "TypeCode", "reason": "ExemptionReason", "reason_code": "ExemptionReasonCode"}
CII_LINE_TAX_TERMS = {"category": "CategoryCode", "scheme": "TypeCode"}

_VAT_SCHEMES = frozenset({"VAT"})
# an allowance or charge: its indicator, amount, VAT category and scheme, base amount and percentage
_UBL_CHARGE = Fields(indicator="ChargeIndicator", amount="Amount", category="TaxCategory/ID",
                     scheme="TaxCategory/TaxScheme/ID", base="BaseAmount", percent="MultiplierFactorNumeric")
_CII_CHARGE = Fields(indicator="ChargeIndicator/Indicator", amount="ActualAmount",
                     category="CategoryTradeTax/CategoryCode", scheme="CategoryTradeTax/TypeCode",
                     base="BasisAmount", percent="CalculationPercent")


def _charges(fields: Fields, nodes: list[etree._Element]) -> tuple[Charge, ...]:
    charges = []
    for node in nodes:
        found = fields.read(node)
        charges.append(Charge(
            is_charge=(found.text("indicator") or "").lower() == "true",
            amount=parse_amount(found.text("amount")),
            category=vat_category(found),
            base=parse_amount(found.text("base")),
            percent=parse_amount(found.text("percent")),
        ))
    return tuple(charges)


def ubl_charges(nodes: list[etree._Element]) -> tuple[Charge, ...]:
    """The document's AllowanceCharge elements (the reader does not read them)."""
    return _charges(_UBL_CHARGE, nodes) if nodes else ()


def cii_charges(nodes: list[etree._Element]) -> tuple[Charge, ...]:
    """The settlement's SpecifiedTradeAllowanceCharge elements (the reader does not read them)."""
    return _charges(_CII_CHARGE, nodes) if nodes else ()


def ubl_party(
    name: str | None, schemes: list[tuple[str | None, str | None]], legal_id: str | None, party_id: str | None
) -> PartyTerms:
    """A UBL party from what the reader read: its RegistrationName, its PartyTaxSchemes as (scheme, company
    id) pairs, its legal and party identifiers."""
    vat_ids = tuple(company_id for scheme_id, company_id in schemes
                    if company_id is not None and (scheme_id or "").upper() == "VAT")
    registered = any(company_id is not None for _, company_id in schemes)
    return PartyTerms(name=name, identified=registered or legal_id is not None or party_id is not None,
                      vat_ids=vat_ids)


def cii_party(found: Found, name: str | None, legal_id: str | None) -> PartyTerms:
    """A CII party from the reader's walk of it (its SpecifiedTaxRegistration/ID elements, ``schemeID`` VA
    marking a VAT identifier)."""
    vat_ids = []
    registered = False
    for registration in found.elements("tax_registrations"):
        value = (registration.text or "").strip()
        if not value:
            continue
        registered = True
        if (registration.get("schemeID") or "").upper() == "VA":
            vat_ids.append(value)
    return PartyTerms(
        name=name,
        identified=registered or legal_id is not None or found.text("party_id") is not None,
        vat_ids=tuple(vat_ids),
    )
