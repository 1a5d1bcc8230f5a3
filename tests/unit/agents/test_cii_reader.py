"""The CII reader: CII D16B and ZUGFeRD 1.0 CrossIndustryDocument, format-102 dates, BT-110 vs BT-111, BT-115."""

# ruff: noqa: E501  (XML fixtures read better one element per line than wrapped)

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from agents.detect import DetectLimits, detect
from agents.readers.cii import read_cii
from agents.readers.safe_xml import parse_xml
from schemas import DocType

D16B = (
    'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
)
ZF1 = (
    'xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"'
)

PARTY = """<ram:{role}TradeParty><ram:Name>{name}</ram:Name>
  <ram:SpecifiedLegalOrganization><ram:ID>HRB {n}</ram:ID></ram:SpecifiedLegalOrganization>
  <ram:PostalTradeAddress><ram:PostcodeCode>8000{n}</ram:PostcodeCode><ram:LineOne>Street {n}</ram:LineOne>
    <ram:LineTwo>Hall B</ram:LineTwo><ram:CityName>München</ram:CityName><ram:CountryID>DE</ram:CountryID>
  </ram:PostalTradeAddress>
  <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">143/555/{n}</ram:ID></ram:SpecifiedTaxRegistration>
  <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE12345678{n}</ram:ID></ram:SpecifiedTaxRegistration>
</ram:{role}TradeParty>"""


def d16b(type_code: str = "380", due_payable: bool = True, tax_currency: bool = False) -> bytes:
    due = '<ram:DuePayableAmount currencyID="EUR">158.00</ram:DuePayableAmount>' if due_payable else ""
    tax_in_usd = '<ram:TaxTotalAmount currencyID="USD">30.00</ram:TaxTotalAmount>' if tax_currency else ""
    line = """<ram:IncludedSupplyChainTradeLineItem>
  <ram:AssociatedDocumentLineDocument><ram:LineID>{n}</ram:LineID></ram:AssociatedDocumentLineDocument>
  <ram:SpecifiedTradeProduct><ram:Name>Product {n}</ram:Name></ram:SpecifiedTradeProduct>
  <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{price}</ram:ChargeAmount>
  </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
  <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">{qty}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
  <ram:SpecifiedLineTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
      <ram:RateApplicablePercent>{rate}</ram:RateApplicablePercent></ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{amount}</ram:LineTotalAmount>
    </ram:SpecifiedTradeSettlementLineMonetarySummation>
  </ram:SpecifiedLineTradeSettlement>
</ram:IncludedSupplyChainTradeLineItem>"""
    lines = line.format(n=1, price="10.00", qty="10", rate="19", amount="100.00") + line.format(
        n=2, price="50.00", qty="1", rate="0", amount="50.00"
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice {D16B}>
 <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID>
 </ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>R-2024-17</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20240215</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>{lines}
  <ram:ApplicableHeaderTradeAgreement>
   {PARTY.format(role="Seller", name="Lieferant GmbH", n=1)}{PARTY.format(role="Buyer", name="Kunde  AG", n=2)}
   <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>PO-9</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>
    <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE75512108001245126199</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
    <ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>SOGEDEFFXXX</ram:BICID></ram:PayeeSpecifiedCreditorFinancialInstitution>
   </ram:SpecifiedTradeSettlementPaymentMeans>
   <ram:ApplicableTradeTax><ram:CalculatedAmount>19.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
    <ram:BasisAmount>100.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
    <ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
   <ram:ApplicableTradeTax><ram:CalculatedAmount>0.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
    <ram:BasisAmount>50.00</ram:BasisAmount><ram:CategoryCode>Z</ram:CategoryCode>
    <ram:RateApplicablePercent>0</ram:RateApplicablePercent></ram:ApplicableTradeTax>
   <ram:SpecifiedTradePaymentTerms><ram:Description>Zahlbar in 14 Tagen</ram:Description>
    <ram:DueDateDateTime><udt:DateTimeString format="102">20240229</udt:DateTimeString></ram:DueDateDateTime>
   </ram:SpecifiedTradePaymentTerms>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:LineTotalAmount>150.00</ram:LineTotalAmount><ram:ChargeTotalAmount>0.00</ram:ChargeTotalAmount>
    <ram:AllowanceTotalAmount>0.00</ram:AllowanceTotalAmount><ram:TaxBasisTotalAmount>150.00</ram:TaxBasisTotalAmount>
    {tax_in_usd}<ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>169.00</ram:GrandTotalAmount><ram:TotalPrepaidAmount>11.00</ram:TotalPrepaidAmount>
    {due}
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>""".encode()


ZUGFERD_1 = f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument {ZF1}>
 <rsm:HeaderExchangedDocument><ram:ID>471102</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20130305</udt:DateTimeString></ram:IssueDateTime>
 </rsm:HeaderExchangedDocument>
 <rsm:SpecifiedSupplyChainTradeTransaction>
  <ram:ApplicableSupplyChainTradeAgreement>
   <ram:SellerTradeParty><ram:Name>Lieferant GmbH</ram:Name>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Kunden AG Mitte</ram:Name></ram:BuyerTradeParty>
   <ram:BuyerOrderReferencedDocument><ram:ID>2013-471331</ram:ID></ram:BuyerOrderReferencedDocument>
  </ram:ApplicableSupplyChainTradeAgreement>
  <ram:ApplicableSupplyChainTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:ApplicableTradeTax><ram:CalculatedAmount currencyID="EUR">37.62</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
    <ram:BasisAmount currencyID="EUR">198.00</ram:BasisAmount><ram:ApplicablePercent>19.00</ram:ApplicablePercent>
   </ram:ApplicableTradeTax>
   <ram:SpecifiedTradeSettlementMonetarySummation>
    <ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount>
    <ram:TaxBasisTotalAmount currencyID="EUR">198.00</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">37.62</ram:TaxTotalAmount>
    <ram:GrandTotalAmount currencyID="EUR">235.62</ram:GrandTotalAmount>
   </ram:SpecifiedTradeSettlementMonetarySummation>
  </ram:ApplicableSupplyChainTradeSettlement>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedSupplyChainTradeAgreement><ram:NetPriceProductTradePrice>
    <ram:ChargeAmount currencyID="EUR">9.90</ram:ChargeAmount></ram:NetPriceProductTradePrice>
   </ram:SpecifiedSupplyChainTradeAgreement>
   <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">20.0000</ram:BilledQuantity>
   </ram:SpecifiedSupplyChainTradeDelivery>
   <ram:SpecifiedSupplyChainTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:ApplicablePercent>19.00</ram:ApplicablePercent>
    </ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount>
    </ram:SpecifiedTradeSettlementMonetarySummation>
   </ram:SpecifiedSupplyChainTradeSettlement>
   <ram:SpecifiedTradeProduct><ram:Name>Trennblätter A4</ram:Name></ram:SpecifiedTradeProduct>
  </ram:IncludedSupplyChainTradeLineItem>
 </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>""".encode()


def test_every_promised_d16b_field_is_read() -> None:
    invoice = read_cii(parse_xml(d16b(), 1 << 24))
    assert (invoice.invoice_number, invoice.type_code, invoice.doc_type) == ("R-2024-17", "380", DocType.INVOICE)
    assert (invoice.issue_date, invoice.due_date) == (date(2024, 2, 15), date(2024, 2, 29))
    assert invoice.currency == "EUR"
    assert (invoice.seller.name, invoice.seller.vat_id, invoice.seller.legal_id) == (
        "Lieferant GmbH",
        "DE123456781",
        "HRB 1",
    )
    assert invoice.seller.address is not None
    assert invoice.seller.address.lines == ("Street 1", "Hall B")
    assert (invoice.seller.address.postal_code, invoice.seller.address.city) == ("80001", "München")
    assert invoice.seller.address.country == "DE"
    assert (invoice.buyer.name, invoice.buyer.vat_id) == ("Kunde  AG", "DE123456782")
    assert (invoice.seller_iban, invoice.seller_bic) == ("DE75512108001245126199", "SOGEDEFFXXX")
    assert (invoice.payment_terms, invoice.order_reference) == ("Zahlbar in 14 Tagen", "PO-9")
    assert (invoice.line_net_total, invoice.charge_total, invoice.allowance_total) == (
        Decimal("150.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert (invoice.total_net, invoice.total_tax, invoice.total_incl_vat) == (
        Decimal("150.00"),
        Decimal("19.00"),
        Decimal("169.00"),
    )
    assert (invoice.prepaid, invoice.amount_due) == (Decimal("11.00"), Decimal("158.00"))
    assert [(t.category, t.rate, t.taxable_amount, t.tax_amount) for t in invoice.tax_breakdown] == [
        ("S", Decimal("19"), Decimal("100.00"), Decimal("19.00")),
        ("Z", Decimal("0"), Decimal("50.00"), Decimal("0.00")),
    ]
    first, second = invoice.lines
    assert (first.line_id, first.description, first.quantity, first.unit) == ("1", "Product 1", Decimal("10"), "C62")
    assert (first.unit_price, first.net_amount, first.tax_rate) == (Decimal("10.00"), Decimal("100.00"), Decimal("19"))
    assert second.tax_rate == Decimal("0")  # a zero rate is a rate, not a missing one
    assert invoice.confidence["total_net"] == 1.0


def test_389_is_a_self_billed_invoice_and_381_a_credit_note() -> None:
    assert read_cii(parse_xml(d16b("389"), 1 << 24)).doc_type is DocType.SELF_BILLED_INVOICE
    assert read_cii(parse_xml(d16b("381"), 1 << 24)).doc_type is DocType.CREDIT_NOTE


def test_the_tax_total_in_the_invoice_currency_is_bt110() -> None:
    assert read_cii(parse_xml(d16b(tax_currency=True), 1 << 24)).total_tax == Decimal("19.00")


def test_without_due_payable_amount_the_amount_due_is_grand_total_less_prepaid() -> None:
    invoice = read_cii(parse_xml(d16b(due_payable=False), 1 << 24))
    assert invoice.amount_due == Decimal("158.00")


def test_zugferd_1_cross_industry_document() -> None:
    invoice = read_cii(parse_xml(ZUGFERD_1, 1 << 24))
    assert (invoice.invoice_number, invoice.issue_date) == ("471102", date(2013, 3, 5))
    assert (invoice.seller.name, invoice.seller.vat_id, invoice.buyer.name) == (
        "Lieferant GmbH",
        "DE123456789",
        "Kunden AG Mitte",
    )
    assert invoice.order_reference == "2013-471331"
    assert (invoice.total_net, invoice.total_tax, invoice.total_incl_vat) == (
        Decimal("198.00"),
        Decimal("37.62"),
        Decimal("235.62"),
    )
    assert invoice.amount_due == Decimal("235.62")  # no DuePayableAmount, nothing prepaid
    (rate,) = invoice.tax_breakdown
    assert rate.rate == Decimal("19.00")
    (line,) = invoice.lines
    assert (line.line_id, line.description, line.quantity, line.unit_price, line.net_amount, line.tax_rate) == (
        "1",
        "Trennblätter A4",
        Decimal("20.0000"),
        Decimal("9.90"),
        Decimal("198.00"),
        Decimal("19.00"),
    )


def test_every_corpus_cii_document_matches_its_truth(corpus: Path) -> None:
    limits = DetectLimits()
    checked = 0
    for truth in sorted(corpus.rglob("truth.jsonl")):
        for line in truth.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("xml_root") not in ("CrossIndustryInvoice", "CrossIndustryDocument"):
                continue
            detection = detect((truth.parent / row["file"]).read_bytes(), limits)
            assert detection.xml is not None, row["file"]
            invoice = read_cii(parse_xml(detection.xml, 1 << 24))
            assert invoice.invoice_number == row["invoice_number"], row["file"]
            assert invoice.issue_date is not None and invoice.issue_date.isoformat() == row["issue_date"]
            assert invoice.amount_due == Decimal(str(row["total_gross"])).quantize(Decimal("0.01")), row["file"]
            assert len(invoice.lines) == row["line_count"], row["file"]
            checked += 1
    assert checked > 150
