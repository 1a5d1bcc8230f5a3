"""Tests of the synthetic invoice generator (tools.samples): arithmetic, identifiers, formats, determinism."""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections import Counter
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from lxml import etree
from PIL import Image

from tools.samples import (
    FORMATS,
    SampleInvoice,
    generate_samples,
    make_invoice,
    plan_formats,
    render_cii,
    render_ubl,
)
from tools.samples._checksums import make_iban, make_vat_id, valid_bic, valid_iban, valid_rf, valid_vat_id
from tools.samples._invoice import invoice_number
from tools.samples._parties import buyer_pool, seller_pool
from tools.samples._words import COUNTRIES

EN16931_FORMATS = ("ubl", "cii", "hybrid_pdf", "text_pdf", "scan", "scan_pdf")

BASE = date(2026, 3, 1)
UBL_NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
          "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
CII_NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
          "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
          "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}


def q2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def invoices(n: int, credit_note_ratio: float = 0.1) -> list[SampleInvoice]:
    return [make_invoice(random.Random(f"t:{i}"), i, base_date=BASE, credit_note_ratio=credit_note_ratio)
            for i in range(n)]


def dec(node: etree._Element, path: str, ns: dict[str, str]) -> Decimal:
    return Decimal(node.findtext(path, namespaces=ns) or "0")


# ------------------------------------------------------------------------------------------ arithmetic


def check_ubl(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    ns = UBL_NS
    credit = etree.QName(root).localname == "CreditNote"
    line_tag, qty_tag = ("cac:CreditNoteLine", "cbc:CreditedQuantity") if credit else (
        "cac:InvoiceLine", "cbc:InvoicedQuantity")
    assert root.findtext("cbc:CustomizationID", namespaces=ns).startswith("urn:cen.eu:en16931:2017")
    lines = root.findall(line_tag, ns)
    assert 1 <= len(lines) <= 15
    for line in lines:
        net = dec(line, "cbc:LineExtensionAmount", ns)
        assert net == q2(dec(line, qty_tag, ns) * dec(line, "cac:Price/cbc:PriceAmount", ns))
        assert line.find(qty_tag, ns).get("unitCode")
    total = root.find("cac:LegalMonetaryTotal", ns)
    line_total = dec(total, "cbc:LineExtensionAmount", ns)
    assert line_total == sum(dec(line, "cbc:LineExtensionAmount", ns) for line in lines)
    charges = {True: Decimal(0), False: Decimal(0)}
    for ac in root.findall("cac:AllowanceCharge", ns):
        charges[ac.findtext("cbc:ChargeIndicator", namespaces=ns) == "true"] += dec(ac, "cbc:Amount", ns)
    assert dec(total, "cbc:AllowanceTotalAmount", ns) == charges[False]
    assert dec(total, "cbc:ChargeTotalAmount", ns) == charges[True]
    tax_exclusive = dec(total, "cbc:TaxExclusiveAmount", ns)
    assert tax_exclusive == line_total - charges[False] + charges[True]
    tax_total = root.find("cac:TaxTotal", ns)
    subtotals = tax_total.findall("cac:TaxSubtotal", ns)
    for sub in subtotals:
        rate = dec(sub, "cac:TaxCategory/cbc:Percent", ns)
        assert dec(sub, "cbc:TaxAmount", ns) == q2(dec(sub, "cbc:TaxableAmount", ns) * rate / 100)
    assert sum(dec(s, "cbc:TaxableAmount", ns) for s in subtotals) == tax_exclusive
    tax = dec(tax_total, "cbc:TaxAmount", ns)
    assert tax == sum(dec(s, "cbc:TaxAmount", ns) for s in subtotals)
    assert dec(total, "cbc:TaxInclusiveAmount", ns) == tax_exclusive + tax
    assert dec(total, "cbc:PayableAmount", ns) == (
        dec(total, "cbc:TaxInclusiveAmount", ns) - dec(total, "cbc:PrepaidAmount", ns))
    return root


def check_cii(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    ns = CII_NS
    assert root.findtext("rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
                         namespaces=ns) == "urn:cen.eu:en16931:2017"
    tx = root.find("rsm:SupplyChainTradeTransaction", ns)
    lines = tx.findall("ram:IncludedSupplyChainTradeLineItem", ns)
    for line in lines:
        net = dec(line, ".//ram:LineTotalAmount", ns)
        assert net == q2(dec(line, ".//ram:BilledQuantity", ns) * dec(line, ".//ram:ChargeAmount", ns))
    settlement = tx.find("ram:ApplicableHeaderTradeSettlement", ns)
    summ = settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", ns)
    line_total = dec(summ, "ram:LineTotalAmount", ns)
    assert line_total == sum(dec(line, ".//ram:LineTotalAmount", ns) for line in lines)
    charges = {"true": Decimal(0), "false": Decimal(0)}
    for ac in settlement.findall("ram:SpecifiedTradeAllowanceCharge", ns):
        charges[ac.findtext("ram:ChargeIndicator/udt:Indicator", namespaces=ns)] += dec(ac, "ram:ActualAmount", ns)
    assert dec(summ, "ram:AllowanceTotalAmount", ns) == charges["false"]
    assert dec(summ, "ram:ChargeTotalAmount", ns) == charges["true"]
    basis = dec(summ, "ram:TaxBasisTotalAmount", ns)
    assert basis == line_total - charges["false"] + charges["true"]
    taxes = settlement.findall("ram:ApplicableTradeTax", ns)
    for t in taxes:
        rate = dec(t, "ram:RateApplicablePercent", ns)
        assert dec(t, "ram:CalculatedAmount", ns) == q2(dec(t, "ram:BasisAmount", ns) * rate / 100)
    assert sum(dec(t, "ram:BasisAmount", ns) for t in taxes) == basis
    tax = dec(summ, "ram:TaxTotalAmount", ns)
    assert tax == sum(dec(t, "ram:CalculatedAmount", ns) for t in taxes)
    assert dec(summ, "ram:GrandTotalAmount", ns) == basis + tax
    assert dec(summ, "ram:DuePayableAmount", ns) == (
        dec(summ, "ram:GrandTotalAmount", ns) - dec(summ, "ram:TotalPrepaidAmount", ns))
    return root


def test_ubl_and_cii_totals_re_add_exactly_and_match_the_model() -> None:
    for inv in invoices(400, credit_note_ratio=0.2):
        ubl = check_ubl(render_ubl(inv))
        cii = check_cii(render_cii(inv))
        t = inv.totals
        assert ubl.findtext("cbc:ID", namespaces=UBL_NS) == inv.number
        assert Decimal(ubl.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL_NS)) == t.payable
        assert cii.findtext("rsm:ExchangedDocument/ram:ID", namespaces=CII_NS) == inv.number
        assert cii.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=CII_NS) == inv.type_code
        assert Decimal(cii.findtext(".//ram:DuePayableAmount", namespaces=CII_NS)) == t.payable
        assert etree.QName(ubl).localname == ("CreditNote" if inv.type_code == "381" else "Invoice")


def test_variety_of_generated_invoices() -> None:
    sample = invoices(600, credit_note_ratio=0.1)
    assert {inv.type_code for inv in sample} == {"380", "381"}
    assert any(inv.totals.prepaid and inv.totals.payable != inv.totals.tax_inclusive for inv in sample)
    assert any(ac.charge for inv in sample for ac in inv.allowances)
    assert any(not ac.charge for inv in sample for ac in inv.allowances)
    assert any(s.category == "AE" and s.tax == 0 for inv in sample for s in inv.subtotals)
    assert any(len({s.rate for s in inv.subtotals}) > 1 for inv in sample)
    assert {"EUR", "SEK", "PLN"} <= {inv.currency for inv in sample}
    assert {"GBP", "CHF", "USD"} & {inv.currency for inv in sample}
    assert {len(inv.lines) for inv in sample} >= {1, 2, 5, 10}
    assert max(len(inv.lines) for inv in sample) <= 15
    assert {"C62", "HUR", "KGM"} <= {ln.unit for inv in sample for ln in inv.lines}
    assert any(inv.order_reference for inv in sample) and any(not inv.order_reference for inv in sample)
    assert len({inv.seller.address.country for inv in sample}) >= 8
    for inv in sample:
        assert BASE - timedelta(days=730) <= inv.issue_date <= BASE
        if inv.due_date is not None:
            assert 0 <= (inv.due_date - inv.issue_date).days <= 60
        assert inv.type_code == "380" or inv.totals.prepaid == 0


# ------------------------------------------------------------------------------------------ identifiers


@pytest.mark.parametrize("iban", ["DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300",
                                  "FR1420041010050500013M02606", "IT60X0542811101000000123456",
                                  "ES9121000418450200051332", "BE68539007547034", "AT611904300234573201"])
def test_iban_check_accepts_published_examples(iban: str) -> None:
    assert valid_iban(iban)
    assert not valid_iban(iban[:-1] + str((int(iban[-1]) + 1) % 10))


@pytest.mark.parametrize("vat", ["DE136695976", "ATU13585627", "BE0428759497", "FR40303265045", "IT00743110157",
                                 "ESA28015865", "NL004495445B01", "PL5260250274", "SE556188840401", "IE6388047V"])
def test_vat_check_accepts_published_examples(vat: str) -> None:
    # the generator and the validator share the check-digit helpers, so anchor them on outside examples
    assert valid_vat_id(vat)
    pos = 2 if vat.startswith("FR") else max(i for i, ch in enumerate(vat) if ch.isdigit())
    if vat.startswith("NL"):
        pos = vat.index("B", 2) - 1
    assert not valid_vat_id(vat[:pos] + str((int(vat[pos]) + 1) % 10) + vat[pos + 1:])


def test_generated_vat_ids_ibans_and_bics_are_valid() -> None:
    rng = random.Random(7)
    for country in COUNTRIES:
        for _ in range(200):
            vat = make_vat_id(rng, country)
            assert vat.startswith(country) and valid_vat_id(vat), vat
            iban = make_iban(rng, country, "ABCD")
            assert iban.startswith(country) and valid_iban(iban), iban
    for country in ("DE", "FR", "IT", "ES", "NL", "BE", "AT"):
        vat = make_vat_id(rng, country)
        digit_at = max(i for i, ch in enumerate(vat) if ch.isdigit())
        if country == "NL":  # NL...B01: the check digit sits before the B
            digit_at = vat.index("B", 2) - 1
        if country == "FR":  # FR key: change it, the SIREN stays valid
            digit_at = 3
        broken = vat[:digit_at] + str((int(vat[digit_at]) + 1) % 10) + vat[digit_at + 1:]
        assert not valid_vat_id(broken), broken
    for country in COUNTRIES:
        for party in seller_pool(0, country) + buyer_pool(0, country):
            assert party.vat_id is None or valid_vat_id(party.vat_id)
            assert party.iban is None or valid_iban(party.iban)
            assert party.bic is None or (valid_bic(party.bic) and party.bic[4:6] == country)


def test_structured_payment_references_are_valid() -> None:
    refs = [inv.payment_reference for inv in invoices(200)]
    rf = [r for r in refs if r.startswith("RF")]
    assert rf and all(valid_rf(r) for r in rf)


def test_invoice_numbers_never_collide_across_numbering_styles() -> None:
    seen: dict[str, int] = {}
    for index in range(20000):
        for kind in range(8):
            for code in ("AB", "INV", "FA", "RE"):
                for year in (2024, 2025):
                    number = invoice_number(kind, code, date(year, 5, 1), index)
                    assert seen.setdefault(number, index) == index, number


# ------------------------------------------------------------------------------------------ files


@pytest.fixture(scope="module")
def all_formats(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    out = tmp_path_factory.mktemp("samples")
    return out, generate_samples(out, 300, EN16931_FORMATS, seed=11, base_date=BASE)


def test_300_documents_across_all_formats(all_formats: tuple[Path, list[dict[str, object]]]) -> None:
    out, rows = all_formats
    assert len(rows) == 300
    assert Counter(r["format"] for r in rows) == {f: 50 for f in ("ubl", "cii", "facturx-pdf", "text-pdf",
                                                                   "scan-image", "scan-pdf")}
    assert len({r["invoice_number"] for r in rows}) == 300
    assert len({r["sha256"] for r in rows}) == 300
    written = [json.loads(line) for line in (out / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    assert written == rows
    for row in rows:
        data = (out / str(row["file"])).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"] and len(data) == row["bytes"]
        assert row["invalid"] is False and row["doc_type"] in ("invoice", "credit_note")
        assert round(float(str(row["total_incl_vat"])) - float(str(row["prepaid"])), 2) == row["total_gross"]
        if row["format"] in ("text-pdf", "scan-image", "scan-pdf", "facturx-pdf"):
            assert row["language"] in ("en", "de", "fr", "it", "es", "nl")


def test_xml_files_agree_with_their_truth_rows(all_formats: tuple[Path, list[dict[str, object]]]) -> None:
    out, rows = all_formats
    for row in rows:
        if row["format"] == "ubl":
            root = check_ubl((out / str(row["file"])).read_bytes())
            assert root.findtext("cbc:ID", namespaces=UBL_NS) == row["invoice_number"]
            payable = root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL_NS)
            assert float(payable) == row["total_gross"]
            name = root.findtext("cac:AccountingSupplierParty//cbc:RegistrationName", namespaces=UBL_NS)
            assert name == row["seller_name"]
        elif row["format"] == "cii":
            root = check_cii((out / str(row["file"])).read_bytes())
            assert root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=CII_NS) == row["invoice_number"]
            assert float(root.findtext(".//ram:TaxBasisTotalAmount", namespaces=CII_NS)) == row["total_net"]


def test_hybrid_pdfs_embed_factur_x_xml(all_formats: tuple[Path, list[dict[str, object]]]) -> None:
    out, rows = all_formats
    hybrids = [r for r in rows if r["format"] == "facturx-pdf"]
    assert hybrids and all(r["embedded_xml"] == "factur-x.xml" for r in hybrids)
    for row in hybrids:
        data = (out / str(row["file"])).read_bytes()
        doc = pdfium.PdfDocument(data)
        try:
            names = {doc.get_attachment(i).get_name(): i for i in range(doc.count_attachments())}
            assert set(names) == {"factur-x.xml"}
            root = check_cii(bytes(doc.get_attachment(names["factur-x.xml"]).get_data()))
        finally:
            doc.close()
        assert root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=CII_NS) == row["invoice_number"]
        with pikepdf.open(io.BytesIO(data)) as pdf:
            spec = pdf.Root.AF[0]
            assert str(spec.AFRelationship) in ("/Data", "/Alternative")
            assert str(spec.UF) == "factur-x.xml"
            xmp = pdf.Root.Metadata.read_bytes()
            assert b"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
            assert b"<pdfaid:part>3</pdfaid:part>" in xmp
        check = row["text_check"]
        assert isinstance(check, dict)
        assert check["invoice_number_in_text"] and check["total_gross_in_text"] and check["text_chars"] > 200


def test_text_pdfs_have_a_text_layer_with_the_number(all_formats: tuple[Path, list[dict[str, object]]]) -> None:
    out, rows = all_formats
    pdf_rows = [r for r in rows if r["format"] in ("text-pdf", "facturx-pdf")]
    assert any(r["pages"] == 2 for r in pdf_rows)
    assert len({r["template"] for r in pdf_rows}) == 3
    for row in pdf_rows:
        doc = pdfium.PdfDocument((out / str(row["file"])).read_bytes())
        try:
            assert len(doc) == row["pages"]
            assert doc.count_attachments() == (0 if row["format"] == "text-pdf" else 1)
            text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        finally:
            doc.close()
        assert str(row["invoice_number"]) in text


def test_scans_are_images_without_text(all_formats: tuple[Path, list[dict[str, object]]]) -> None:
    out, rows = all_formats
    kinds = set()
    for row in rows:
        if row["format"] == "scan-image":
            with Image.open(out / str(row["file"])) as img:
                kinds.add(img.format)
                assert img.size[0] >= 1200 and img.size[1] > img.size[0]
        elif row["format"] == "scan-pdf":
            doc = pdfium.PdfDocument((out / str(row["file"])).read_bytes())
            try:
                assert len(doc) == 1 and doc.count_attachments() == 0
                assert doc[0].get_textpage().get_text_range().strip() == ""
            finally:
                doc.close()
            assert row["text_check"] == {"text_chars": 0, "invoice_number_in_text": False,
                                         "total_gross_in_text": False}
    assert kinds == {"PNG", "JPEG", "TIFF"}


@pytest.mark.parametrize(("lang", "words", "date_format"), [
    ("en", ("Invoice", "Due date", "Total"), "%Y-%m-%d"),
    ("de", ("Rechnung", "Fälligkeitsdatum", "Gesamtbetrag"), "%d.%m.%Y"),
    ("fr", ("Facture", "Date d'échéance", "Total TTC"), "%d/%m/%Y"),
    ("it", ("Fattura", "Data di scadenza", "Totale"), "%d/%m/%Y"),
    ("es", ("Factura", "Fecha de vencimiento", "Total"), "%d/%m/%Y"),
    ("nl", ("Factuur", "Vervaldatum", "Totaal incl. btw"), "%d-%m-%Y"),
])
def test_text_pdf_speaks_its_language(tmp_path: Path, lang: str, words: tuple[str, ...], date_format: str) -> None:
    rows = generate_samples(tmp_path, 4, ("text_pdf",), seed=3, languages=(lang,), base_date=BASE)
    for row in rows:
        if row["doc_type"] != "invoice":
            continue
        doc = pdfium.PdfDocument((tmp_path / str(row["file"])).read_bytes())
        try:
            text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        finally:
            doc.close()
        assert all(w.casefold() in text.casefold() for w in words), (lang, words, text)
        assert date.fromisoformat(str(row["issue_date"])).strftime(date_format) in text
        gross = Decimal(str(row["total_gross"]))
        spelled = {"en": f"{gross:,.2f}", "fr": f"{gross:,.2f}".replace(",", " ").replace(".", ",")}.get(
            lang, f"{gross:,.2f}".replace(",", "_").replace(".", ",").replace("_", "."))
        assert spelled in text
        check = row["text_check"]
        assert isinstance(check, dict) and check["total_gross_in_text"]


# ------------------------------------------------------------------------------------------ determinism


def test_same_seed_same_bytes_other_seed_other_documents(tmp_path: Path) -> None:
    unsigned = tuple(f for f in FORMATS if f != "fatturapa_p7m")  # a signature carries its time: see below
    a = generate_samples(tmp_path / "a", 16, unsigned, seed=5, base_date=BASE)
    b = generate_samples(tmp_path / "b", 16, unsigned, seed=5, base_date=BASE)
    c = generate_samples(tmp_path / "c", 16, unsigned, seed=6, base_date=BASE)
    assert [r["sha256"] for r in a] == [r["sha256"] for r in b]
    assert a == b
    assert not {r["sha256"] for r in a} & {r["sha256"] for r in c}
    assert (tmp_path / "a" / "truth.jsonl").read_bytes() == (tmp_path / "b" / "truth.jsonl").read_bytes()


def test_signed_samples_differ_only_in_their_signature(tmp_path: Path) -> None:
    from agents.readers.cades import unwrap_signed

    a = generate_samples(tmp_path / "a", 3, ("fatturapa_p7m",), seed=5, base_date=BASE)
    b = generate_samples(tmp_path / "b", 3, ("fatturapa_p7m",), seed=5, base_date=BASE)
    for left, right in zip(a, b, strict=True):
        inner = [unwrap_signed((tmp_path / d / str(r["file"])).read_bytes(), 1 << 20)
                 for d, r in (("a", left), ("b", right))]
        assert inner[0].content == inner[1].content and inner[0].verified and inner[1].verified


def test_format_plan_round_robin_and_weights() -> None:
    assert plan_formats(("ubl", "cii"), 5) == ["ubl", "cii", "ubl", "cii", "ubl"]
    plan = plan_formats({"ubl": 3, "text_pdf": 1}, 400)
    assert Counter(plan) == {"ubl": 300, "text_pdf": 100}
    assert plan_formats("cii", 2) == ["cii", "cii"]
    with pytest.raises(ValueError, match="formats"):
        plan_formats(("pdf",), 1)
    with pytest.raises(ValueError, match="languages"):
        generate_samples(Path("unused"), 1, languages=("pt",))
