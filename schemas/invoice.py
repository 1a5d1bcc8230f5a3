"""The normalised invoice: EN 16931 core fields, whatever the source format.

Every extractor (UBL, CII, text PDF, paid service) fills this one shape, so scoring and persistence never
care where a value came from. Business-term numbers (BT-n) are those of EN 16931-1. Amounts are Decimals,
serialised as strings so no cent is lost to floating point. `confidence` maps a field name to how sure the
extractor is of it (1.0 for values read from an e-invoice's XML).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from schemas._base import Contract
from schemas._common import DocType


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
    rate: Decimal | None = Field(default=None, description="VAT rate in percent (BT-119).")
    taxable_amount: Decimal = Field(description="Taxable amount (BT-116).")
    tax_amount: Decimal = Field(description="Tax amount (BT-117).")


class LineItem(Contract):
    """One invoice line (BG-25)."""

    line_id: str | None = Field(default=None, description="Line identifier (BT-126).")
    description: str | None = Field(default=None, description="Item name (BT-153).")
    quantity: Decimal | None = Field(default=None, description="Invoiced quantity (BT-129).")
    unit: str | None = Field(default=None, description="UN/ECE rec 20 unit code (BT-130).")
    unit_price: Decimal | None = Field(default=None, description="Net price per base quantity (BT-146).")
    net_amount: Decimal | None = Field(default=None, description="Line net amount (BT-131).")
    tax_rate: Decimal | None = Field(default=None, description="Line VAT rate in percent (BT-152).")


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
    line_net_total: Decimal | None = Field(default=None, description="Sum of line net amounts (BT-106).")
    allowance_total: Decimal | None = Field(default=None, description="Document allowances (BT-107).")
    charge_total: Decimal | None = Field(default=None, description="Document charges (BT-108).")
    total_net: Decimal | None = Field(default=None, description="Total without VAT (BT-109).")
    total_tax: Decimal | None = Field(default=None, description="Total VAT (BT-110).")
    total_incl_vat: Decimal | None = Field(default=None, description="Total with VAT (BT-112).")
    prepaid: Decimal | None = Field(default=None, description="Paid amount (BT-113).")
    rounding: Decimal | None = Field(default=None, description="Rounding amount (BT-114).")
    amount_due: Decimal | None = Field(default=None, description="Amount due for payment (BT-115).")
    withholding_total: Decimal | None = Field(
        default=None, description="Tax withheld at source by the buyer (FatturaPA DatiRitenuta), summed."
    )
    stamp_duty: Decimal | None = Field(default=None, description="Stamp duty paid (FatturaPA DatiBollo).")
    tax_breakdown: tuple[TaxSubtotal, ...] = Field(default=(), description="VAT breakdown (BG-23).")
    lines: tuple[LineItem, ...] = Field(default=(), description="Invoice lines (BG-25).")
    confidence: dict[str, float] = Field(
        default_factory=dict, description="Per-field confidence in [0, 1], keyed by field name."
    )
