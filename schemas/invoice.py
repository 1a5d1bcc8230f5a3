"""The normalised invoice: EN 16931 core fields, whatever the source format.

Every extractor (UBL, CII, text PDF, paid service) fills this one shape, so scoring and persistence never
care where a value came from. Business-term numbers (BT-n) are those of EN 16931-1. Amounts are Decimals,
serialised as strings so no cent is lost to floating point. `confidence` maps a field name to how sure the
extractor is of it (1.0 for values read from an e-invoice's XML).

Every number (amounts, rates, quantities, prices) is an `Amount`: finite and under 10^15 in size. No
invoice states more, and a value beyond it (``1E+999999`` in an XML amount, a run of digits a text reader
took for a total) is one no sum can be computed on and no record can hold (PostgreSQL's numeric overflows,
and an amount due is kept as numeric(18, 2)): refused where the invoice is built, it can never reach a
stage or a sink that would stall on it. The readers also drop numbers of more than 20 decimal places
(`fits_amount`: ``1E-999999`` overflows PostgreSQL's numeric too); the contract does not count them, as
that costs more than every other check of a decoded event together.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from schemas._base import Contract
from schemas._common import DocType

AMOUNT_LIMIT = Decimal(10) ** 15
"""Every number of an invoice is smaller than this in size."""
AMOUNT_PLACES = 20
"""Every number a reader takes has at most this many decimal places."""

# the bounds as floats: pydantic compares a Decimal with a float bound in its core, twice as fast as with a
# Decimal one, and 1e15 is exact in binary
Amount = Annotated[Decimal, Field(gt=-float(AMOUNT_LIMIT), lt=float(AMOUNT_LIMIT))]
"""A number of an invoice: finite and under `AMOUNT_LIMIT` in size."""


def fits_amount(value: Decimal) -> bool:
    """Whether a number is one a reader may put on an invoice: an `Amount` of at most `AMOUNT_PLACES` decimal
    places."""
    if not value.is_finite() or abs(value) >= AMOUNT_LIMIT:
        return False
    exponent = value.normalize().as_tuple().exponent
    return not isinstance(exponent, int) or exponent >= -AMOUNT_PLACES


class Address(Contract):
    """A postal address (BG-5 / BG-8)."""

    lines: tuple[str, ...] = Field(default=(), description="Street lines.")
    city: str | None = Field(default=None, description="City name.")
    postal_code: str | None = Field(default=None, description="Post code.")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 country code.")


class Party(Contract):
    """Seller (BG-4) or buyer (BG-7)."""

    name: str | None = Field(default=None, description="Legal or trading name (BT-27 / BT-44).")
    vat_id: str | None = Field(default=None, description="VAT identifier with country prefix (BT-31 / BT-48).")
    legal_id: str | None = Field(default=None, description="Registration id (BT-30 / BT-47).")
    address: Address | None = Field(default=None, description="Postal address.")


class TaxSubtotal(Contract):
    """One VAT breakdown row (BG-23)."""

    category: str | None = Field(default=None, description="VAT category code (BT-118), e.g. S, Z, E, AE.")
    rate: Amount | None = Field(default=None, description="VAT rate in percent (BT-119).")
    taxable_amount: Amount = Field(description="Taxable amount (BT-116).")
    tax_amount: Amount = Field(description="Tax amount (BT-117).")


class LineItem(Contract):
    """One invoice line (BG-25)."""

    line_id: str | None = Field(default=None, description="Line identifier (BT-126).")
    description: str | None = Field(default=None, description="Item name (BT-153).")
    quantity: Amount | None = Field(default=None, description="Invoiced quantity (BT-129).")
    unit: str | None = Field(default=None, description="UN/ECE rec 20 unit code (BT-130).")
    unit_price: Amount | None = Field(default=None, description="Net price per base quantity (BT-146).")
    net_amount: Amount | None = Field(default=None, description="Line net amount (BT-131).")
    tax_rate: Amount | None = Field(default=None, description="Line VAT rate in percent (BT-152).")


class InvoiceData(Contract):
    """The normalised fields of one invoice, credit note or similar."""

    invoice_number: str | None = Field(default=None, description="Invoice number (BT-1).")
    type_code: str | None = Field(default=None, description="UNTDID 1001 type code (BT-3).")
    doc_type: DocType = Field(default=DocType.UNKNOWN, description="Business meaning of the document.")
    issue_date: date | None = Field(default=None, description="Issue date (BT-2).")
    due_date: date | None = Field(default=None, description="Payment due date (BT-9).")
    currency: str | None = Field(default=None, description="ISO 4217 invoice currency (BT-5).")
    seller: Party = Field(default_factory=Party, description="The seller (BG-4).")
    buyer: Party = Field(default_factory=Party, description="The buyer (BG-7).")
    seller_iban: str | None = Field(default=None, description="Payment account IBAN (BT-84).")
    seller_bic: str | None = Field(default=None, description="Payment service provider BIC (BT-86).")
    payment_terms: str | None = Field(default=None, description="Payment terms text (BT-20).")
    order_reference: str | None = Field(default=None, description="Purchase order reference (BT-13).")
    line_net_total: Amount | None = Field(default=None, description="Sum of line net amounts (BT-106).")
    allowance_total: Amount | None = Field(default=None, description="Document allowances (BT-107).")
    charge_total: Amount | None = Field(default=None, description="Document charges (BT-108).")
    total_net: Amount | None = Field(default=None, description="Total without VAT (BT-109).")
    total_tax: Amount | None = Field(default=None, description="Total VAT (BT-110).")
    total_incl_vat: Amount | None = Field(default=None, description="Total with VAT (BT-112).")
    prepaid: Amount | None = Field(default=None, description="Paid amount (BT-113).")
    rounding: Amount | None = Field(default=None, description="Rounding amount (BT-114).")
    amount_due: Amount | None = Field(default=None, description="Amount due for payment (BT-115).")
    withholding_total: Amount | None = Field(
        default=None, description="Tax withheld at source by the buyer (FatturaPA DatiRitenuta), summed."
    )
    stamp_duty: Amount | None = Field(default=None, description="Stamp duty paid (FatturaPA DatiBollo).")
    tax_breakdown: tuple[TaxSubtotal, ...] = Field(default=(), description="VAT breakdown (BG-23).")
    lines: tuple[LineItem, ...] = Field(default=(), description="Invoice lines (BG-25).")
    confidence: dict[str, float] = Field(
        default_factory=dict, description="Per-field confidence in [0, 1], keyed by field name."
    )
