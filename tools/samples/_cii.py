"""UN/CEFACT Cross Industry Invoice (D16B) in the EN 16931 / Factur-X "EN 16931" profile.

Why this order: the CII XSD is sequence-based like UBL; lines come before the header agreement, delivery and
settlement blocks, and inside a trade party ID/GlobalID, Name, contact, address, electronic address and tax
registrations follow each other in that order. The same bytes are embedded in the hybrid PDFs as
``factur-x.xml``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Final

from ._model import AllowanceCharge, Line, Party, SampleInvoice, TaxSubtotal
from ._xml import amount, attr, document, leaf, node, opt, plain

GUIDELINE_ID: Final = "urn:cen.eu:en16931:2017"
NAMESPACES: Final = (
    ' xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"'
    ' xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"'
    ' xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"'
    ' xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
)


def _date(tag: str, value: date) -> str:
    return node(tag, leaf("udt:DateTimeString", value.strftime("%Y%m%d"), ' format="102"'))


@lru_cache(maxsize=4096)
def _party(tag: str, party: Party) -> str:
    """Serialised trade party; parties recur (they come from pools), so the string is cached."""
    addr = party.address
    return node(
        tag,
        leaf("ram:Name", party.name),
        node("ram:DefinedTradeContact", leaf("ram:PersonName", party.contact),
             node("ram:TelephoneUniversalCommunication", leaf("ram:CompleteNumber", party.phone)),
             node("ram:EmailURIUniversalCommunication", leaf("ram:URIID", party.email))),
        node("ram:PostalTradeAddress", leaf("ram:PostcodeCode", addr.postcode), leaf("ram:LineOne", addr.street),
             leaf("ram:CityName", addr.city), leaf("ram:CountryID", addr.country)),
        node("ram:URIUniversalCommunication",
             leaf("ram:URIID", party.endpoint_id, attr("schemeID", party.endpoint_scheme))),
        node("ram:SpecifiedTaxRegistration", leaf("ram:ID", party.vat_id, ' schemeID="VA"'))
        if party.vat_id else None,
    )


@lru_cache(maxsize=256)
def _line_tax(category: str, rate: Decimal) -> str:
    return node("ram:ApplicableTradeTax", leaf("ram:TypeCode", "VAT"), leaf("ram:CategoryCode", category),
                leaf("ram:RateApplicablePercent", f"{rate:.2f}"))


def _line(line: Line) -> str:
    return node(
        "ram:IncludedSupplyChainTradeLineItem",
        node("ram:AssociatedDocumentLineDocument", leaf("ram:LineID", line.line_id)),
        node("ram:SpecifiedTradeProduct", leaf("ram:SellerAssignedID", line.seller_item_id),
             leaf("ram:Name", line.name)),
        node("ram:SpecifiedLineTradeAgreement",
             node("ram:NetPriceProductTradePrice", leaf("ram:ChargeAmount", format(line.price, "f")))),
        node("ram:SpecifiedLineTradeDelivery",
             leaf("ram:BilledQuantity", plain(line.quantity), attr("unitCode", line.unit))),
        node("ram:SpecifiedLineTradeSettlement",
             _line_tax(line.category, line.rate),
             node("ram:SpecifiedTradeSettlementLineMonetarySummation",
                  leaf("ram:LineTotalAmount", amount(line.net)))),
    )


def _tax(sub: TaxSubtotal) -> str:
    return node("ram:ApplicableTradeTax", leaf("ram:CalculatedAmount", amount(sub.tax)),
                leaf("ram:TypeCode", "VAT"), opt("ram:ExemptionReason", sub.exemption_reason),
                leaf("ram:BasisAmount", amount(sub.base)), leaf("ram:CategoryCode", sub.category),
                opt("ram:ExemptionReasonCode", sub.exemption_code),
                leaf("ram:RateApplicablePercent", f"{sub.rate:.2f}"))


def _allowance(ac: AllowanceCharge) -> str:
    return node("ram:SpecifiedTradeAllowanceCharge",
                node("ram:ChargeIndicator", leaf("udt:Indicator", "true" if ac.charge else "false")),
                leaf("ram:ActualAmount", amount(ac.amount)), leaf("ram:ReasonCode", ac.reason_code),
                leaf("ram:Reason", ac.reason),
                node("ram:CategoryTradeTax", leaf("ram:TypeCode", "VAT"), leaf("ram:CategoryCode", ac.category),
                     leaf("ram:RateApplicablePercent", f"{ac.rate:.2f}")))


def render_cii(inv: SampleInvoice) -> bytes:
    """Serialise ``inv`` as a CII CrossIndustryInvoice (EN 16931 profile), UTF-8 bytes."""
    t = inv.totals
    seller = inv.seller
    means = node(
        "ram:SpecifiedTradeSettlementPaymentMeans", leaf("ram:TypeCode", inv.payment_means),
        node("ram:PayeePartyCreditorFinancialAccount", leaf("ram:IBANID", seller.iban),
             leaf("ram:AccountName", seller.name)) if seller.iban else None,
        node("ram:PayeeSpecifiedCreditorFinancialInstitution", leaf("ram:BICID", seller.bic)) if seller.bic else None,
    )
    terms = node("ram:SpecifiedTradePaymentTerms", leaf("ram:Description", inv.payment_terms),
                 _date("ram:DueDateDateTime", inv.due_date) if inv.due_date else None)
    summation = node(
        "ram:SpecifiedTradeSettlementHeaderMonetarySummation",
        leaf("ram:LineTotalAmount", amount(t.line_total)),
        leaf("ram:ChargeTotalAmount", amount(t.charge_total)),
        leaf("ram:AllowanceTotalAmount", amount(t.allowance_total)),
        leaf("ram:TaxBasisTotalAmount", amount(t.tax_exclusive)),
        leaf("ram:TaxTotalAmount", amount(t.tax_total), attr("currencyID", inv.currency)),
        leaf("ram:GrandTotalAmount", amount(t.tax_inclusive)),
        leaf("ram:TotalPrepaidAmount", amount(t.prepaid)),
        leaf("ram:DuePayableAmount", amount(t.payable)),
    )
    settlement = node(
        "ram:ApplicableHeaderTradeSettlement",
        leaf("ram:PaymentReference", inv.payment_reference),
        leaf("ram:InvoiceCurrencyCode", inv.currency),
        means,
        *(_tax(s) for s in inv.subtotals),
        *(_allowance(ac) for ac in inv.allowances),
        terms,
        summation,
        node("ram:InvoiceReferencedDocument", leaf("ram:IssuerAssignedID", inv.preceding_invoice))
        if inv.preceding_invoice else None,
    )
    agreement = node(
        "ram:ApplicableHeaderTradeAgreement",
        leaf("ram:BuyerReference", inv.buyer_reference),
        _party("ram:SellerTradeParty", seller),
        _party("ram:BuyerTradeParty", inv.buyer),
        node("ram:BuyerOrderReferencedDocument", leaf("ram:IssuerAssignedID", inv.order_reference))
        if inv.order_reference else None,
    )
    delivery = node("ram:ApplicableHeaderTradeDelivery",
                    node("ram:ActualDeliverySupplyChainEvent", _date("ram:OccurrenceDateTime", inv.delivery_date))
                    if inv.delivery_date else None)
    children: list[str | None] = [
        node("rsm:ExchangedDocumentContext",
             node("ram:GuidelineSpecifiedDocumentContextParameter", leaf("ram:ID", GUIDELINE_ID))),
        node("rsm:ExchangedDocument", leaf("ram:ID", inv.number), leaf("ram:TypeCode", inv.type_code),
             _date("ram:IssueDateTime", inv.issue_date),
             node("ram:IncludedNote", leaf("ram:Content", inv.note)) if inv.note else None),
        node("rsm:SupplyChainTradeTransaction", *(_line(line) for line in inv.lines), agreement, delivery,
             settlement),
    ]
    return document("rsm:CrossIndustryInvoice", NAMESPACES, children)
