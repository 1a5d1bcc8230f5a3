"""The UBL reader: every EN 16931 field it promises, any prefix binding, UBL 2.0 habits, and no attachment decoding."""

# ruff: noqa: E501  (XML fixtures read better one element per line than wrapped)

from __future__ import annotations

import base64
import json
import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from agents.readers.safe_xml import parse_xml
from agents.readers.ubl import read_ubl
from schemas import DocType

NS = (
    'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"'
)

PARTY = """<cac:Party>
  <cac:PartyName><cbc:Name>{trading}</cbc:Name></cac:PartyName>
  <cac:PostalAddress>
    <cbc:StreetName>Main Street 1</cbc:StreetName><cbc:AdditionalStreetName>Floor 2</cbc:AdditionalStreetName>
    <cbc:CityName>Berlin</cbc:CityName><cbc:PostalZone>10115</cbc:PostalZone>
    <cac:AddressLine><cbc:Line>Building C</cbc:Line></cac:AddressLine>
    <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
  </cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>201/113/40209</cbc:CompanyID><cac:TaxScheme><cbc:ID>FC</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyTaxScheme><cbc:CompanyID>{vat}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>{name}</cbc:RegistrationName><cbc:CompanyID>HRB 1</cbc:CompanyID></cac:PartyLegalEntity>
</cac:Party>"""

LINE = """<cac:{kind}Line>
  <cbc:ID>{n}</cbc:ID>
  <cbc:{qty} unitCode="H87">{quantity}</cbc:{qty}>
  <cbc:LineExtensionAmount currencyID="EUR">{amount}</cbc:LineExtensionAmount>
  <cac:Item><cbc:Description>Long text</cbc:Description><cbc:Name>Item {n}</cbc:Name>
    <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent></cac:ClassifiedTaxCategory>
  </cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">{price}</cbc:PriceAmount></cac:Price>
</cac:{kind}Line>"""


def invoice_xml(kind: str = "Invoice", attachment: str = "", extra_tax_total: bool = False) -> bytes:
    qty = {"Invoice": "InvoicedQuantity", "CreditNote": "CreditedQuantity"}[kind]
    code = f"<cbc:{kind}TypeCode>{'380' if kind == 'Invoice' else '381'}</cbc:{kind}TypeCode>"
    accounting_tax = (
        '<cac:TaxTotal><cbc:TaxAmount currencyID="SEK">2090.00</cbc:TaxAmount></cac:TaxTotal>'
        if extra_tax_total
        else ""
    )
    due = "<cbc:DueDate>2024-03-01</cbc:DueDate>" if kind == "Invoice" else ""
    lines = "".join(
        LINE.format(kind=kind, n=n, qty=qty, quantity=q, amount=a, price=p)
        for n, q, a, p in ((1, "2", "100.00", "50.00"), (2, "1.5", "10.00", "6.6667"))
    )
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<{kind} {NS.replace("Invoice-2", f"{kind}-2")}>
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID> INV-2024-001 </cbc:ID>
  <cbc:IssueDate>2024-01-31</cbc:IssueDate>{due}{code}
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:OrderReference><cbc:ID>PO-77</cbc:ID></cac:OrderReference>
  <cac:AdditionalDocumentReference><cbc:ID>att</cbc:ID><cac:Attachment>
    <cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="a.pdf">{attachment}</cbc:EmbeddedDocumentBinaryObject>
  </cac:Attachment></cac:AdditionalDocumentReference>
  <cac:AccountingSupplierParty>{PARTY.format(trading="Seller Trading", name="Seller  GmbH", vat="DE123456789")}</cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>{PARTY.format(trading="Buyer Trading", name="Buyer AG", vat="DE987654321")}</cac:AccountingCustomerParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode><cbc:PaymentDueDate>2024-02-29</cbc:PaymentDueDate>
    <cac:PayeeFinancialAccount><cbc:ID>DE02 1203 0000 0000 2020 51</cbc:ID>
      <cac:FinancialInstitutionBranch><cbc:ID>BYLADEM1001</cbc:ID></cac:FinancialInstitutionBranch>
    </cac:PayeeFinancialAccount></cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>30 days net</cbc:Note></cac:PaymentTerms>
  {accounting_tax}
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">20.90</cbc:TaxAmount>
    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">110.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">20.90</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">110.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">110.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">130.90</cbc:TaxInclusiveAmount>
    <cbc:AllowanceTotalAmount currencyID="EUR">0.00</cbc:AllowanceTotalAmount>
    <cbc:PrepaidAmount currencyID="EUR">30.00</cbc:PrepaidAmount>
    <cbc:PayableRoundingAmount currencyID="EUR">0.10</cbc:PayableRoundingAmount>
    <cbc:PayableAmount currencyID="EUR">101.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  {lines}
</{kind}>"""
    return text.encode()


def test_every_promised_field_is_read() -> None:
    invoice = read_ubl(parse_xml(invoice_xml(), 1 << 24))
    assert invoice.invoice_number == "INV-2024-001"
    assert (invoice.type_code, invoice.doc_type) == ("380", DocType.INVOICE)
    assert (invoice.issue_date, invoice.due_date) == (date(2024, 1, 31), date(2024, 3, 1))
    assert invoice.currency == "EUR"
    assert invoice.seller.name == "Seller  GmbH"  # registration name (BT-27), not the trading name
    assert invoice.seller.vat_id == "DE123456789"  # the VAT scheme, not the tax number
    assert invoice.seller.legal_id == "HRB 1"
    assert invoice.seller.address is not None
    assert invoice.seller.address.lines == ("Main Street 1", "Floor 2", "Building C")
    assert (invoice.seller.address.city, invoice.seller.address.postal_code) == ("Berlin", "10115")
    assert invoice.seller.address.country == "DE"
    assert (invoice.buyer.name, invoice.buyer.vat_id) == ("Buyer AG", "DE987654321")
    assert (invoice.seller_iban, invoice.seller_bic) == ("DE02120300000000202051", "BYLADEM1001")
    assert (invoice.payment_terms, invoice.order_reference) == ("30 days net", "PO-77")
    assert invoice.line_net_total == Decimal("110.00")
    assert invoice.allowance_total == Decimal("0.00")
    assert invoice.charge_total is None
    assert (invoice.total_net, invoice.total_tax, invoice.total_incl_vat) == (
        Decimal("110.00"),
        Decimal("20.90"),
        Decimal("130.90"),
    )
    assert (invoice.prepaid, invoice.rounding, invoice.amount_due) == (
        Decimal("30.00"),
        Decimal("0.10"),
        Decimal("101.00"),
    )
    (vat,) = invoice.tax_breakdown
    assert (vat.category, vat.rate, vat.taxable_amount, vat.tax_amount) == (
        "S",
        Decimal("19"),
        Decimal("110.00"),
        Decimal("20.90"),
    )
    first, second = invoice.lines
    assert (first.line_id, first.description, first.quantity, first.unit) == ("1", "Item 1", Decimal("2"), "H87")
    assert (first.unit_price, first.net_amount, first.tax_rate) == (Decimal("50.00"), Decimal("100.00"), Decimal("19"))
    assert second.quantity == Decimal("1.5")
    assert invoice.confidence["invoice_number"] == 1.0
    assert invoice.confidence["seller.vat_id"] == 1.0
    assert "charge_total" not in invoice.confidence


def test_a_credit_note_reads_its_own_line_and_quantity_elements() -> None:
    invoice = read_ubl(parse_xml(invoice_xml("CreditNote"), 1 << 24))
    assert (invoice.doc_type, invoice.type_code) == (DocType.CREDIT_NOTE, "381")
    assert [line.quantity for line in invoice.lines] == [Decimal("2"), Decimal("1.5")]
    assert invoice.due_date == date(2024, 2, 29)  # CreditNote has no DueDate: PaymentMeans/PaymentDueDate


def test_the_tax_total_in_the_document_currency_is_bt110() -> None:
    invoice = read_ubl(parse_xml(invoice_xml(extra_tax_total=True), 1 << 24))
    assert invoice.total_tax == Decimal("20.90")


def test_prefixes_do_not_matter() -> None:
    rebound = (
        invoice_xml()
        .decode()
        .replace("cbc:", "b:")
        .replace("xmlns:cbc", "xmlns:b")
        .replace("cac:", "a:")
        .replace("xmlns:cac", "xmlns:a")
    )
    invoice = read_ubl(parse_xml(rebound.encode(), 1 << 24))
    assert (invoice.invoice_number, invoice.amount_due, len(invoice.lines)) == ("INV-2024-001", Decimal("101.00"), 2)


def test_a_base64_attachment_is_never_decoded_or_copied() -> None:
    payload = base64.b64encode(bytes(6 * 1024 * 1024)).decode()  # under libxml2's 10 MB text-node cap
    root = parse_xml(invoice_xml(attachment=payload), 1 << 26)
    tracemalloc.start()
    try:
        invoice = read_ubl(root)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert invoice.invoice_number == "INV-2024-001"
    assert peak < 1024 * 1024, f"reading allocated {peak} bytes: the attachment was touched"


def _truth(corpus: Path) -> list[tuple[Path, dict[str, object]]]:
    rows = []
    for truth in sorted(corpus.rglob("truth.jsonl")):
        for line in truth.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["format"] == "ubl" and row["doc_type"] in ("invoice", "credit_note", "debit_note"):
                rows.append((truth.parent / row["file"], row))
    return rows


def test_ubl_2_0_without_currency_or_due_date_element(corpus: Path) -> None:
    path = corpus / (
        "negatives/oasis-ubl-via-ph-ubl/ph-ubl-testfiles/src/main/resources/external/test-ubl/invoice/"
        "UBL-Invoice-2.0-Example.xml"
    )
    invoice = read_ubl(parse_xml(path.read_bytes(), 1 << 24))
    assert invoice.currency is None
    assert invoice.due_date == date(2005, 7, 21)
    assert (invoice.total_tax, invoice.amount_due) == (Decimal("17.50"), Decimal("107.50"))


def test_every_corpus_ubl_invoice_reads_with_full_confidence(corpus: Path) -> None:
    rows = _truth(corpus)
    assert len(rows) > 100
    for path, row in rows:
        invoice = read_ubl(parse_xml(path.read_bytes(), 1 << 24))
        assert invoice.invoice_number == row["invoice_number"], path
        assert len(invoice.lines) == row["line_count"], path
        assert set(invoice.confidence.values()) == {1.0}


@pytest.mark.parametrize("root", ["SelfBilledCreditNote", "FreightInvoice"])
def test_other_invoice_roots(corpus: Path, root: str) -> None:
    (path,) = [p for p, row in _truth(corpus) if row.get("xml_root") == root]
    invoice = read_ubl(parse_xml(path.read_bytes(), 1 << 24))
    assert invoice.doc_type is (DocType.CREDIT_NOTE if root == "SelfBilledCreditNote" else DocType.INVOICE)
    assert invoice.lines
