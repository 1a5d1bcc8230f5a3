"""UBL 2.1 Invoice / CreditNote in the Peppol BIS Billing 3.0 shape.

Why this element order: UBL's XSDs are sequences, so real validators reject a document whose elements are in
the wrong order even if every value is right. The order below follows the UBL 2.1 Invoice and CreditNote
schemas (CustomizationID ... Note, DocumentCurrencyCode, BuyerReference, OrderReference, BillingReference,
parties, Delivery, PaymentMeans, PaymentTerms, AllowanceCharge, TaxTotal, LegalMonetaryTotal, lines).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Final

from ._model import AllowanceCharge, Line, Party, SampleInvoice, TaxSubtotal
from ._xml import amount, attr, document, leaf, node, opt, plain

CUSTOMIZATION_ID: Final = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID: Final = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS_CAC: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC: Final = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


_TAX_SCHEME: Final = node("cac:TaxScheme", leaf("cbc:ID", "VAT"))


@lru_cache(maxsize=512)
def _tax_category(tag: str, category: str, rate: Decimal, reason: tuple[str | None, str | None] = (None, None)
                  ) -> str:
    return node(tag, leaf("cbc:ID", category), leaf("cbc:Percent", plain(rate)),
                opt("cbc:TaxExemptionReasonCode", reason[1]), opt("cbc:TaxExemptionReason", reason[0]),
                _TAX_SCHEME)


@lru_cache(maxsize=4096)
def _party(wrapper: str, party: Party, *, seller: bool) -> str:
    """Serialised party; parties recur (they come from pools), so the string is cached."""
    addr = party.address
    tax = (node("cac:PartyTaxScheme", leaf("cbc:CompanyID", party.vat_id), _TAX_SCHEME)
           if party.vat_id else None)
    contact = node("cac:Contact", leaf("cbc:Name", party.contact), leaf("cbc:Telephone", party.phone),
                   leaf("cbc:ElectronicMail", party.email)) if seller else (
        node("cac:Contact", leaf("cbc:Name", party.contact)))
    return node(wrapper, node(
        "cac:Party",
        leaf("cbc:EndpointID", party.endpoint_id, attr("schemeID", party.endpoint_scheme)),
        node("cac:PartyName", leaf("cbc:Name", party.trading_name)),
        node("cac:PostalAddress", leaf("cbc:StreetName", addr.street), leaf("cbc:CityName", addr.city),
             leaf("cbc:PostalZone", addr.postcode),
             node("cac:Country", leaf("cbc:IdentificationCode", addr.country))),
        tax,
        node("cac:PartyLegalEntity", leaf("cbc:RegistrationName", party.name)),
        contact,
    ))


def _allowance(ac: AllowanceCharge, cur: str) -> str:
    return node("cac:AllowanceCharge", leaf("cbc:ChargeIndicator", "true" if ac.charge else "false"),
                leaf("cbc:AllowanceChargeReasonCode", ac.reason_code), leaf("cbc:AllowanceChargeReason", ac.reason),
                leaf("cbc:Amount", amount(ac.amount), cur), _tax_category("cac:TaxCategory", ac.category, ac.rate))


def _subtotal(sub: TaxSubtotal, cur: str) -> str:
    return node("cac:TaxSubtotal", leaf("cbc:TaxableAmount", amount(sub.base), cur),
                leaf("cbc:TaxAmount", amount(sub.tax), cur),
                _tax_category("cac:TaxCategory", sub.category, sub.rate, (sub.exemption_reason, sub.exemption_code)))


def _line(line: Line, cur: str, credit: bool) -> str:
    return node(
        "cac:CreditNoteLine" if credit else "cac:InvoiceLine",
        leaf("cbc:ID", line.line_id),
        leaf("cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", plain(line.quantity),
             attr("unitCode", line.unit)),
        leaf("cbc:LineExtensionAmount", amount(line.net), cur),
        node("cac:Item", leaf("cbc:Name", line.name),
             node("cac:SellersItemIdentification", leaf("cbc:ID", line.seller_item_id)),
             _tax_category("cac:ClassifiedTaxCategory", line.category, line.rate)),
        node("cac:Price", leaf("cbc:PriceAmount", format(line.price, "f"), cur)),
    )


def render_ubl(inv: SampleInvoice) -> bytes:
    """Serialise ``inv`` as a UBL 2.1 Invoice (type 380) or CreditNote (type 381), UTF-8 bytes."""
    credit = inv.is_credit_note
    root = "CreditNote" if credit else "Invoice"
    cur = attr("currencyID", inv.currency)
    t = inv.totals
    seller = inv.seller
    means = node(
        "cac:PaymentMeans", leaf("cbc:PaymentMeansCode", inv.payment_means),
        leaf("cbc:PaymentID", inv.payment_reference),
        node("cac:PayeeFinancialAccount", leaf("cbc:ID", seller.iban), leaf("cbc:Name", seller.name),
             node("cac:FinancialInstitutionBranch", leaf("cbc:ID", seller.bic)) if seller.bic else None)
        if seller.iban else None,
    )
    monetary = node(
        "cac:LegalMonetaryTotal",
        leaf("cbc:LineExtensionAmount", amount(t.line_total), cur),
        leaf("cbc:TaxExclusiveAmount", amount(t.tax_exclusive), cur),
        leaf("cbc:TaxInclusiveAmount", amount(t.tax_inclusive), cur),
        leaf("cbc:AllowanceTotalAmount", amount(t.allowance_total), cur) if t.allowance_total else None,
        leaf("cbc:ChargeTotalAmount", amount(t.charge_total), cur) if t.charge_total else None,
        leaf("cbc:PrepaidAmount", amount(t.prepaid), cur) if t.prepaid else None,
        leaf("cbc:PayableAmount", amount(t.payable), cur),
    )
    children: list[str | None] = [
        leaf("cbc:CustomizationID", CUSTOMIZATION_ID),
        leaf("cbc:ProfileID", PROFILE_ID),
        leaf("cbc:ID", inv.number),
        leaf("cbc:IssueDate", inv.issue_date.isoformat()),
        None if credit or inv.due_date is None else leaf("cbc:DueDate", inv.due_date.isoformat()),
        leaf("cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", inv.type_code),
        opt("cbc:Note", inv.note),
        leaf("cbc:DocumentCurrencyCode", inv.currency),
        leaf("cbc:BuyerReference", inv.buyer_reference),
        node("cac:OrderReference", leaf("cbc:ID", inv.order_reference)) if inv.order_reference else None,
        node("cac:BillingReference", node("cac:InvoiceDocumentReference", leaf("cbc:ID", inv.preceding_invoice)))
        if inv.preceding_invoice else None,
        _party("cac:AccountingSupplierParty", seller, seller=True),
        _party("cac:AccountingCustomerParty", inv.buyer, seller=False),
        node("cac:Delivery", leaf("cbc:ActualDeliveryDate", inv.delivery_date.isoformat()))
        if inv.delivery_date else None,
        means,
        node("cac:PaymentTerms", leaf("cbc:Note", inv.payment_terms)),
        *(_allowance(ac, cur) for ac in inv.allowances),
        node("cac:TaxTotal", leaf("cbc:TaxAmount", amount(t.tax_total), cur),
             *(_subtotal(s, cur) for s in inv.subtotals)),
        monetary,
        *(_line(line, cur, credit) for line in inv.lines),
    ]
    namespaces = (f' xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"'
                  f' xmlns:cac="{NS_CAC}" xmlns:cbc="{NS_CBC}"')
    return document(root, namespaces, children)
