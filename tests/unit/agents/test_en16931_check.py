"""The EN 16931 core check: a valid minimal UBL and CII invoice pass, and each fatal rule broken once is named.

Each case edits one spot of the valid invoice (so the test fails if the rule stops firing, and the valid
invoice fails it if the rule fires where it should not), then the same through `detect` and `extract_local`,
which read the invoice and end it on route ``invalid`` with a reason per rule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.detect import DetectLimits, detect, detected_event
from agents.extract import LocalExtraction, extract_local, extracted_event
from agents.paid import Extraction
from agents.readers._en16931_check import MAX_REASONS, claims_core, en16931_reasons, fatal_rules
from agents.readers.cii import read_cii_terms
from agents.readers.safe_xml import parse_xml
from agents.readers.ubl import read_ubl_terms
from agents.score import ScoreContext, score
from config.policy import load_policy_book
from config.settings import Settings
from schemas import Decision, Route
from streams.publisher import received_for_file

_CORE = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
NOW = datetime(2026, 6, 2, tzinfo=UTC)

UBL = f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>{_CORE}</cbc:CustomizationID>
<cbc:ID>INV-1</cbc:ID>
<cbc:IssueDate>2024-03-01</cbc:IssueDate>
<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cac:AccountingSupplierParty><cac:Party>
 <cac:PostalAddress><cbc:CityName>Berlin</cbc:CityName><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
 <cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
 <cac:PartyLegalEntity><cbc:RegistrationName>Seller GmbH</cbc:RegistrationName></cac:PartyLegalEntity>
</cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party>
 <cac:PostalAddress><cbc:CityName>Paris</cbc:CityName><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
 <cac:PartyLegalEntity><cbc:RegistrationName>Buyer SA</cbc:RegistrationName></cac:PartyLegalEntity>
</cac:Party></cac:AccountingCustomerParty>
<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:Amount currencyID="EUR">10.00</cbc:Amount>
 <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:AllowanceCharge>
<cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator><cbc:Amount currencyID="EUR">5.00</cbc:Amount>
 <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:AllowanceCharge>
<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">18.05</cbc:TaxAmount>
 <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">95.00</cbc:TaxableAmount>
  <cbc:TaxAmount currencyID="EUR">18.05</cbc:TaxAmount>
  <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>
 <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">20.00</cbc:TaxableAmount>
  <cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>
  <cac:TaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent><cbc:TaxExemptionReason>Exempt</cbc:TaxExemptionReason><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>
</cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">120.00</cbc:LineExtensionAmount>
 <cbc:TaxExclusiveAmount currencyID="EUR">115.00</cbc:TaxExclusiveAmount>
 <cbc:TaxInclusiveAmount currencyID="EUR">133.05</cbc:TaxInclusiveAmount>
 <cbc:AllowanceTotalAmount currencyID="EUR">10.00</cbc:AllowanceTotalAmount>
 <cbc:ChargeTotalAmount currencyID="EUR">5.00</cbc:ChargeTotalAmount>
 <cbc:PrepaidAmount currencyID="EUR">3.05</cbc:PrepaidAmount>
 <cbc:PayableAmount currencyID="EUR">130.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">2</cbc:InvoicedQuantity>
 <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
 <cac:Item><cbc:Name>Widget</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
 <cac:Price><cbc:PriceAmount currencyID="EUR">50.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
<cac:InvoiceLine><cbc:ID>2</cbc:ID><cbc:InvoicedQuantity unitCode="HUR">1</cbc:InvoicedQuantity>
 <cbc:LineExtensionAmount currencyID="EUR">20.00</cbc:LineExtensionAmount>
 <cac:Item><cbc:Name>Course</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
 <cac:Price><cbc:PriceAmount currencyID="EUR">20.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>
"""

_S_LINE_CATEGORY = (
    "<cbc:Name>Widget</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent>"
)
_TAX_TOTAL = '<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">18.05</cbc:TaxAmount>'
_E_BREAKDOWN = "<cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent><cbc:TaxExemptionReason>Exempt</cbc:TaxExemptionReason>"

# (what to replace, with what, the rule that then breaks); each `old` occurs in UBL once
UBL_CASES: list[tuple[str, str, str]] = [
    ("<cbc:ID>INV-1</cbc:ID>", "", "BR-02"),
    ("<cbc:IssueDate>2024-03-01</cbc:IssueDate>", "", "BR-03"),
    ("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", "", "BR-04"),
    ("<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>", "", "BR-05"),
    ("<cbc:RegistrationName>Seller GmbH</cbc:RegistrationName>", "", "BR-06"),
    ("<cbc:RegistrationName>Buyer SA</cbc:RegistrationName>", "", "BR-07"),
    ("<cac:PostalAddress><cbc:CityName>Berlin</cbc:CityName><cac:Country><cbc:IdentificationCode>DE"
     "</cbc:IdentificationCode></cac:Country></cac:PostalAddress>", "", "BR-08"),
    ("<cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>", "", "BR-09"),
    ("<cac:PostalAddress><cbc:CityName>Paris</cbc:CityName><cac:Country><cbc:IdentificationCode>FR"
     "</cbc:IdentificationCode></cac:Country></cac:PostalAddress>", "", "BR-10"),
    ("<cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>", "", "BR-11"),
    ('<cbc:LineExtensionAmount currencyID="EUR">120.00</cbc:LineExtensionAmount>', "", "BR-12"),
    ('<cbc:TaxExclusiveAmount currencyID="EUR">115.00</cbc:TaxExclusiveAmount>', "", "BR-13"),
    ('<cbc:TaxInclusiveAmount currencyID="EUR">133.05</cbc:TaxInclusiveAmount>', "", "BR-14"),
    ('<cbc:PayableAmount currencyID="EUR">130.00</cbc:PayableAmount>', "", "BR-15"),
    ("<cbc:ID>1</cbc:ID>", "", "BR-21"),
    ('<cbc:InvoicedQuantity unitCode="C62">2</cbc:InvoicedQuantity>', "", "BR-22"),
    ('unitCode="C62"', "", "BR-23"),
    ('<cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>', "", "BR-24"),
    ("<cbc:Name>Widget</cbc:Name>", "", "BR-25"),
    ('<cac:Price><cbc:PriceAmount currencyID="EUR">50.00</cbc:PriceAmount></cac:Price>', "", "BR-26"),
    ('<cbc:PriceAmount currencyID="EUR">50.00</cbc:PriceAmount>',
     '<cbc:PriceAmount currencyID="EUR">-50.00</cbc:PriceAmount>', "BR-27"),
    ('<cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:Amount currencyID="EUR">10.00</cbc:Amount>',
     "<cbc:ChargeIndicator>false</cbc:ChargeIndicator>", "BR-31"),
    ('<cbc:ChargeIndicator>true</cbc:ChargeIndicator><cbc:Amount currencyID="EUR">5.00</cbc:Amount>',
     "<cbc:ChargeIndicator>true</cbc:ChargeIndicator>", "BR-36"),
    ('<cbc:TaxableAmount currencyID="EUR">95.00</cbc:TaxableAmount>', "", "BR-45"),
    ('<cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>', "", "BR-46"),
    (_E_BREAKDOWN, "<cbc:Percent>0</cbc:Percent><cbc:TaxExemptionReason>Exempt</cbc:TaxExemptionReason>", "BR-47"),
    ("<cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>"
     "</cac:TaxCategory></cac:TaxSubtotal>",
     "<cbc:ID>S</cbc:ID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>",
     "BR-48"),
    (_S_LINE_CATEGORY, "<cbc:Name>Widget</cbc:Name><cac:ClassifiedTaxCategory><cbc:Percent>19</cbc:Percent>",
     "BR-CO-04"),
    ('<cbc:LineExtensionAmount currencyID="EUR">20.00</cbc:LineExtensionAmount>',
     '<cbc:LineExtensionAmount currencyID="EUR">20.01</cbc:LineExtensionAmount>', "BR-CO-10"),
    ('<cbc:AllowanceTotalAmount currencyID="EUR">10.00</cbc:AllowanceTotalAmount>',
     '<cbc:AllowanceTotalAmount currencyID="EUR">11.00</cbc:AllowanceTotalAmount>', "BR-CO-11"),
    ('<cbc:ChargeTotalAmount currencyID="EUR">5.00</cbc:ChargeTotalAmount>',
     '<cbc:ChargeTotalAmount currencyID="EUR">6.00</cbc:ChargeTotalAmount>', "BR-CO-12"),
    ('<cbc:TaxExclusiveAmount currencyID="EUR">115.00</cbc:TaxExclusiveAmount>',
     '<cbc:TaxExclusiveAmount currencyID="EUR">116.00</cbc:TaxExclusiveAmount>', "BR-CO-13"),
    (_TAX_TOTAL, _TAX_TOTAL.replace("18.05", "18.06"), "BR-CO-14"),
    ('<cbc:TaxInclusiveAmount currencyID="EUR">133.05</cbc:TaxInclusiveAmount>',
     '<cbc:TaxInclusiveAmount currencyID="EUR">133.04</cbc:TaxInclusiveAmount>', "BR-CO-15"),
    ('<cbc:PayableAmount currencyID="EUR">130.00</cbc:PayableAmount>',
     '<cbc:PayableAmount currencyID="EUR">130.01</cbc:PayableAmount>', "BR-CO-16"),
    ('<cbc:TaxAmount currencyID="EUR">18.05</cbc:TaxAmount>\n  <cac:TaxCategory>',
     '<cbc:TaxAmount currencyID="EUR">19.05</cbc:TaxAmount>\n  <cac:TaxCategory>', "BR-CO-17"),
    ("<cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
     "</cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>",
     "<cac:TaxCategory><cbc:ID>Z</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
     "</cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>", "BR-S-01"),
    ("<cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
     "</cac:TaxScheme></cac:PartyTaxScheme>", "", "BR-CO-26"),
    ("<cbc:CompanyID>DE123456789</cbc:CompanyID>", "<cbc:CompanyID>123456789</cbc:CompanyID>", "BR-CO-09"),
    (_S_LINE_CATEGORY, _S_LINE_CATEGORY.replace(">19<", ">0<"), "BR-S-05"),
    ("<cbc:Name>Course</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent>",
     "<cbc:Name>Course</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>7</cbc:Percent>",
     "BR-E-05"),
    ('<cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>', '<cbc:TaxAmount currencyID="EUR">0.01</cbc:TaxAmount>',
     "BR-E-09"),
    (_E_BREAKDOWN, "<cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent>", "BR-E-10"),
    (_E_BREAKDOWN, "<cbc:ID>X</cbc:ID><cbc:Percent>0</cbc:Percent>", "BR-CL-18"),
    ("<cbc:Name>Course</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>E</cbc:ID>",
     "<cbc:Name>Course</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>X</cbc:ID>", "BR-CL-17"),
]


def _ubl(text: str) -> tuple[str, ...]:
    return fatal_rules(*read_ubl_terms(parse_xml(text.encode(), 1 << 20)))


def _cii(text: str) -> tuple[str, ...]:
    return fatal_rules(*read_cii_terms(parse_xml(text.encode(), 1 << 20)))


def _extracted(text: str) -> LocalExtraction:
    """What the pipeline makes of the document: detect, then the reader detect names."""
    detection = detect(text.encode(), DetectLimits())
    assert detection.route is Route.STRUCTURED  # the rules are judged on the reading, not by detect
    return extract_local(detection, text.encode())


def test_the_valid_minimal_invoice_passes() -> None:
    assert _ubl(UBL) == ()
    extraction = _extracted(UBL)
    assert extraction.route is None and extraction.reasons == ()
    assert extraction.invoice is not None and extraction.extractor == "ubl"


@pytest.mark.parametrize(("old", "new", "rule"), UBL_CASES, ids=lambda v: str(v)[:12])
def test_each_rule_broken_once_is_named(old: str, new: str, rule: str) -> None:
    assert UBL.count(old) == 1
    broken = _ubl(UBL.replace(old, new))
    assert rule in broken
    extraction = _extracted(UBL.replace(old, new))
    assert extraction.route is Route.INVALID and extraction.invoice is not None  # kept for the person who looks
    assert f"en16931_{rule}" in [r.code for r in extraction.reasons] or len(extraction.reasons) == MAX_REASONS


def test_the_breakdown_needs_exactly_one_exempt_row() -> None:
    second = UBL.replace("</cac:TaxTotal>", """<cac:TaxSubtotal>
<cbc:TaxableAmount currencyID="EUR">0.00</cbc:TaxableAmount>
<cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount><cac:TaxCategory>""" + _E_BREAKDOWN
        + "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>")
    assert _ubl(second) == ("BR-E-01",)
    assert "BR-E-01" in _ubl(UBL.replace(_E_BREAKDOWN, "<cbc:ID>Z</cbc:ID><cbc:Percent>0</cbc:Percent>"))


def test_rounding_follows_the_standard() -> None:
    # a sum is compared to the cent; a breakdown's tax may be under one unit away from base x rate
    assert _ubl(UBL.replace('PayableAmount currencyID="EUR">130.00', 'PayableAmount currencyID="EUR">130.004')) == ()
    near = UBL.replace('<cbc:TaxAmount currencyID="EUR">18.05</cbc:TaxAmount>', '<cbc:TaxAmount currencyID="EUR">18.95'
                       '</cbc:TaxAmount>').replace("133.05", "133.95").replace("3.05", "3.95")
    assert _ubl(near) == ()


def test_a_tax_of_another_scheme_is_not_a_vat_category() -> None:
    vat = _E_BREAKDOWN + "<cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
    other = UBL.replace(vat, vat.replace(">VAT<", ">OTH<"))
    assert _ubl(other) == ("BR-47", "BR-E-01")


@pytest.mark.parametrize("specification", [
    "urn:www.cenbii.eu:transaction:biitrns010:ver2.0",
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
    None,
])
def test_other_specifications_get_only_the_rules_any_invoice_meets(specification: str | None) -> None:
    claimed = f"<cbc:CustomizationID>{_CORE}</cbc:CustomizationID>"
    stated = "" if specification is None else f"<cbc:CustomizationID>{specification}</cbc:CustomizationID>"
    base = UBL.replace(claimed, stated)
    assert not claims_core(specification)
    assert _ubl(base.replace("<cbc:RegistrationName>Seller GmbH</cbc:RegistrationName>", "")) == ()
    assert _ubl(base.replace(_TAX_TOTAL, _TAX_TOTAL.replace("18.05", "18.06"))) == ("BR-CO-14",)
    assert _ubl(base.replace(_E_BREAKDOWN, "<cbc:ID>Z</cbc:ID><cbc:Percent>0</cbc:Percent>")) == ("BR-E-01",)


_BII = "urn:www.cenbii.eu:transaction:biicoretrdm010:ver1.0"
_SELLER_VAT = "<cbc:CompanyID>DE123456789</cbc:CompanyID>"
_BUYER_VAT = (
    "<cac:PartyTaxScheme><cbc:CompanyID>FR12345678901</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID>"
    "</cac:TaxScheme></cac:PartyTaxScheme>\n <cac:PartyLegalEntity><cbc:RegistrationName>Buyer SA"
)


def _bii(vat_seller: str = "DE123456789", vat_buyer: str = "FR12345678901", buyer_country: str = "FR",
         specification: str = _BII) -> str:
    """The valid invoice claiming CEN BII core, with both parties' VAT identifiers."""
    return (
        UBL.replace(_CORE, specification)
        .replace(_SELLER_VAT, f"<cbc:CompanyID>{vat_seller}</cbc:CompanyID>")
        .replace("<cac:PartyLegalEntity><cbc:RegistrationName>Buyer SA",
                 _BUYER_VAT.replace("FR12345678901", vat_buyer))
        .replace("<cbc:IdentificationCode>FR</cbc:IdentificationCode>",
                 f"<cbc:IdentificationCode>{buyer_country}</cbc:IdentificationCode>")
    )


@pytest.mark.parametrize(("seller", "buyer", "country", "broken"), [
    ("DE123456789", "FR12345678901", "FR", ()),  # each party's own country
    ("123456789", "FR12345678901", "FR", ("BIIRULE-T10-R003",)),  # no prefix across a border
    ("DE123456789", "BW12345", "FR", ("BIIRULE-T10-R005",)),  # another country's code for the buyer
    ("AT123456789", "FR12345678901", "FR", ("BIIRULE-T10-R003",)),
    ("DE123456789", "EL123456789", "GR", ()),  # Greece's VAT prefix is EL
    ("123456789", "12345", "DE", ()),  # one country: BII asks nothing of a domestic invoice
])
def test_cen_bii_core_ties_each_vat_id_to_its_party_country_across_a_border(
    seller: str, buyer: str, country: str, broken: tuple[str, ...]
) -> None:
    document = _bii(seller, buyer, country)
    assert _ubl(document) == broken
    extraction = _extracted(document)
    assert [r.code for r in extraction.reasons] == [f"cenbii_{rule}" for rule in broken]
    assert extraction.route is (Route.INVALID if broken else None)


def test_the_bii_rule_binds_only_documents_claiming_bii() -> None:
    # the same identifiers under EN 16931 (a seller may use another state's registration), BII 2.0, no claim
    for specification in (_CORE, "urn:www.cenbii.eu:transaction:biitrns010:ver2.0", ""):
        assert _ubl(_bii("AT123456789", "BW12345", specification=specification)) == ()
    # a credit note claiming BII's T14 names T14's rule
    credit = _bii("123456789", specification="urn:www.cenbii.eu:transaction:biicoretrdm014:ver1.0")
    assert _ubl(credit) == ("BIIRULE-T14-R003",)


def test_only_a_vat_registration_needs_a_country_prefix() -> None:
    tax_number = '<ram:ID schemeID="FC">12/345/67890</ram:ID>'
    assert _cii(CII.replace('<ram:ID schemeID="VA">DE123456789</ram:ID>', tax_number)) == ()
    other_scheme = "<cbc:CompanyID>123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>FC</cbc:ID>"
    assert _ubl(UBL.replace("<cbc:CompanyID>DE123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID>",
                            other_scheme)) == ()


def test_reasons_are_bounded_and_name_their_rule() -> None:
    broken = UBL.replace("<cbc:ID>INV-1</cbc:ID>", "").replace("<cbc:IssueDate>2024-03-01</cbc:IssueDate>", "")
    reasons = en16931_reasons(*read_ubl_terms(parse_xml(broken.encode(), 1 << 20)))
    assert [r.code for r in reasons] == ["en16931_BR-02", "en16931_BR-03"]
    nothing = f"""<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>{_CORE}</cbc:CustomizationID></Invoice>"""
    assert len(en16931_reasons(*read_ubl_terms(parse_xml(nothing.encode(), 1 << 20)))) == MAX_REASONS


CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID>
</ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>INV-2</ram:ID><ram:TypeCode>380</ram:TypeCode>
 <ram:IssueDateTime><udt:DateTimeString format="102">20240301</udt:DateTimeString></ram:IssueDateTime>
</rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction>
 <ram:IncludedSupplyChainTradeLineItem>
  <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
  <ram:SpecifiedTradeProduct><ram:Name>Widget</ram:Name></ram:SpecifiedTradeProduct>
  <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>50.00</ram:ChargeAmount>
  </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
  <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">2</ram:BilledQuantity>
  </ram:SpecifiedLineTradeDelivery>
  <ram:SpecifiedLineTradeSettlement>
   <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
    <ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
   <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>100.00</ram:LineTotalAmount>
   </ram:SpecifiedTradeSettlementLineMonetarySummation>
  </ram:SpecifiedLineTradeSettlement>
 </ram:IncludedSupplyChainTradeLineItem>
 <ram:ApplicableHeaderTradeAgreement>
  <ram:SellerTradeParty><ram:Name>Seller GmbH</ram:Name>
   <ram:PostalTradeAddress><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
   <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
  </ram:SellerTradeParty>
  <ram:BuyerTradeParty><ram:Name>Buyer SA</ram:Name>
   <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:BuyerTradeParty>
 </ram:ApplicableHeaderTradeAgreement>
 <ram:ApplicableHeaderTradeSettlement>
  <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
  <ram:ApplicableTradeTax><ram:CalculatedAmount>19.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
   <ram:BasisAmount>100.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
   <ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
  <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
   <ram:LineTotalAmount>100.00</ram:LineTotalAmount>
   <ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
   <ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount>
   <ram:GrandTotalAmount>119.00</ram:GrandTotalAmount>
   <ram:DuePayableAmount>119.00</ram:DuePayableAmount>
  </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
 </ram:ApplicableHeaderTradeSettlement>
</rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""

CII_CASES: list[tuple[str, str, str]] = [
    ("<ram:ID>INV-2</ram:ID>", "", "BR-02"),
    ("<ram:Name>Buyer SA</ram:Name>", "", "BR-07"),
    ("<ram:CountryID>DE</ram:CountryID>", "", "BR-09"),
    ('unitCode="C62"', "", "BR-23"),
    ("<ram:ChargeAmount>50.00</ram:ChargeAmount>", "", "BR-26"),
    ('<ram:ID schemeID="VA">DE123456789</ram:ID>', '<ram:ID schemeID="VA">de123456789</ram:ID>', "BR-CO-09"),
    ("<ram:LineTotalAmount>100.00</ram:LineTotalAmount>\n   </ram:SpecifiedTradeSettlementLineMonetarySummation>",
     "<ram:LineTotalAmount>90.00</ram:LineTotalAmount>\n   </ram:SpecifiedTradeSettlementLineMonetarySummation>",
     "BR-CO-10"),
    ("<ram:GrandTotalAmount>119.00</ram:GrandTotalAmount>", "<ram:GrandTotalAmount>120.00</ram:GrandTotalAmount>",
     "BR-CO-15"),
    ("<ram:CalculatedAmount>19.00</ram:CalculatedAmount>", "<ram:CalculatedAmount>29.00</ram:CalculatedAmount>",
     "BR-CO-14"),
    ("<ram:CategoryCode>S</ram:CategoryCode>\n   <ram:RateApplicablePercent>",
     "<ram:CategoryCode>Z</ram:CategoryCode>\n   <ram:RateApplicablePercent>", "BR-S-01"),
]


def test_the_valid_minimal_cii_invoice_passes() -> None:
    assert _cii(CII) == ()
    extraction = _extracted(CII)
    assert extraction.route is None and extraction.reasons == () and extraction.extractor == "cii"


@pytest.mark.parametrize(("old", "new", "rule"), CII_CASES, ids=lambda v: str(v)[:12])
def test_each_rule_broken_once_is_named_in_cii(old: str, new: str, rule: str) -> None:
    assert CII.count(old) == 1
    assert rule in _cii(CII.replace(old, new))
    extraction = _extracted(CII.replace(old, new))
    assert extraction.route is Route.INVALID
    assert f"en16931_{rule}" in [r.code for r in extraction.reasons]


def test_a_cii_line_taxed_under_another_scheme_has_no_vat_category() -> None:
    line_tax = "<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>"
    assert CII.count(line_tax) == 1
    other = CII.replace(line_tax, line_tax.replace(">VAT<", ">ZF_INSURANCE_TAX<"))
    assert _cii(other) == ("BR-CO-04",)


def test_the_pipeline_ends_a_breaking_invoice_invalid_and_rejects_it(tmp_path: Path) -> None:
    """Detect routes it structured; extract reads it and ends it invalid; score rejects it, never approving."""
    path = tmp_path / "broken.xml"
    path.write_text(UBL.replace("133.05</cbc:TaxInclusiveAmount>", "134.05</cbc:TaxInclusiveAmount>"))
    received = received_for_file(path, "t", Settings(file_roots=(tmp_path,)))
    detection = detect(path.read_bytes(), DetectLimits())
    detected = detected_event(received, detection, None, NOW)
    assert detected.route is Route.STRUCTURED
    local = extract_local(detection, path.read_bytes())
    extracted = extracted_event(detected, Extraction(local.extractor, local.invoice, local.reasons, route=local.route),
                                NOW)
    assert extracted.route is Route.INVALID and extracted.invoice is not None
    result = score(extracted, load_policy_book(None).default, ScoreContext(vendor_known=True), NOW)
    assert result.decision is Decision.REJECT
    codes = [r.code for r in result.reasons]
    assert "invalid_document" in codes and "en16931_BR-CO-15" in codes
    fine = UBL.encode()
    clean = extract_local(detect(fine, DetectLimits()), fine)
    assert clean.route is None
    approved = extracted_event(detected, Extraction(clean.extractor, clean.invoice, clean.reasons), NOW)
    assert approved.route is Route.STRUCTURED
    assert score(approved, load_policy_book(None).default, ScoreContext(vendor_known=True), NOW).decision is not (
        Decision.REJECT)


def test_an_allowance_computed_from_its_base_and_percentage_must_match_it() -> None:
    """PEPPOL-EN16931-R040: a document allowance stating its base and percentage is their product."""
    allowance = '<cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:Amount currencyID="EUR">10.00</cbc:Amount>'
    assert UBL.count(allowance) == 1

    def stated(base: str) -> str:
        return UBL.replace(allowance, "<cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:MultiplierFactorNumeric>"
                           f'10</cbc:MultiplierFactorNumeric><cbc:Amount currencyID="EUR">10.00</cbc:Amount>'
                           f'<cbc:BaseAmount currencyID="EUR">{base}</cbc:BaseAmount>')

    assert _ubl(stated("100.00")) == ()
    assert _ubl(stated("100.04")) == ()  # 10.004 is 10.00 to the cent
    assert _ubl(stated("90.00")) == ("PEPPOL-EN16931-R040",)
    other = stated("90.00").replace(f"<cbc:CustomizationID>{_CORE}</cbc:CustomizationID>", "")
    assert _ubl(other) == ()  # a document that does not claim EN 16931 is not held to it


@pytest.mark.parametrize(("old", "new"), [
    ("130.00</cbc:PayableAmount>", "1E+30</cbc:PayableAmount>"),  # more digits than a cent is computed to
    ("95.00</cbc:TaxableAmount>", "9E+999999</cbc:TaxableAmount>"),  # base x rate overflows
])
def test_an_amount_beyond_decimal_arithmetic_is_refused_not_crashed_on(old: str, new: str) -> None:
    assert UBL.count(old) == 1
    extraction = _extracted(UBL.replace(old, new))
    assert extraction.route is Route.INVALID
    assert [r.code for r in extraction.reasons] == ["amount_out_of_range"]
