"""Detection: format from content, doc type from root and UNTDID 1001 code, and the route that follows."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from agents.detect import DetectLimits, detect
from agents.readers._doctypes import doc_type_for
from config.settings import load_settings
from schemas import DocType, DocumentFormat, Route

LIMITS = DetectLimits()
UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
CII_NS = (
    'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
)


def cii(type_code: str, lines: int = 1) -> bytes:
    items = "".join(
        f"<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>{i}</ram:LineID>"
        "</ram:AssociatedDocumentLineDocument></ram:IncludedSupplyChainTradeLineItem>"
        for i in range(lines)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rsm:CrossIndustryInvoice {CII_NS}>'
        f"<rsm:ExchangedDocument><ram:ID>N-1</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>"
        '<ram:IssueDateTime><udt:DateTimeString format="102">20240131</udt:DateTimeString></ram:IssueDateTime>'
        f"</rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction>{items}</rsm:SupplyChainTradeTransaction>"
        "</rsm:CrossIndustryInvoice>"
    ).encode()


def ubl(root: str, type_code: str | None = None) -> bytes:
    code = f"<cbc:{root}TypeCode>{type_code}</cbc:{root}TypeCode>" if type_code else ""
    return (
        f'<{root} xmlns="{UBL}{root}-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:'
        'CommonBasicComponents-2"><cbc:UBLVersionID>2.1</cbc:UBLVersionID><cbc:ID>X-1</cbc:ID>'
        f"<cbc:IssueDate>2024-01-31</cbc:IssueDate>{code}</{root}>"
    ).encode()


def text_pdf(text: str = "INVOICE   Invoice number 4711   Total due 119.00 EUR", pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for _ in range(pages):
        page.drawString(72, 720, text)
        page.showPage()
    page.save()
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    image = Image.new("L", (200, 100), 255)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawImage(ImageReader(image), 72, 500, width=200, height=100)
    page.showPage()
    page.save()
    return buffer.getvalue()


def with_attachments(base: bytes, files: dict[str, bytes]) -> bytes:
    document = pdfium.PdfDocument(base)
    for name, data in files.items():
        document.new_attachment(name).set_data(data)
    out = io.BytesIO()
    document.save(out)
    document.close()
    return out.getvalue()


def image_bytes(fmt: str, frames: int = 1) -> bytes:
    buffer = io.BytesIO()
    images = [Image.new("RGB", (40, 30), (255, 255, 255)) for _ in range(frames)]
    images[0].save(buffer, format=fmt, save_all=frames > 1, append_images=images[1:])
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("380", DocType.INVOICE),
        ("381", DocType.CREDIT_NOTE),
        ("383", DocType.DEBIT_NOTE),
        ("384", DocType.INVOICE),
        ("386", DocType.INVOICE),
        ("326", DocType.INVOICE),
        ("389", DocType.SELF_BILLED_INVOICE),
        ("261", DocType.CREDIT_NOTE),
        ("262", DocType.CREDIT_NOTE),
        ("296", DocType.CREDIT_NOTE),
        ("308", DocType.CREDIT_NOTE),
        ("527", DocType.DEBIT_NOTE),
        ("325", DocType.OTHER),
    ],
)
def test_cii_doc_type_follows_the_untdid_1001_code(code: str, expected: DocType) -> None:
    detection = detect(cii(code), LIMITS)
    assert detection.format is DocumentFormat.CII
    assert detection.syntax == "cii-d16b"
    assert detection.type_code == code
    assert detection.doc_type is expected
    invoice_like = expected is not DocType.OTHER
    assert detection.route is (Route.STRUCTURED if invoice_like else Route.NOT_INVOICE)
    assert (detection.xml is not None) is invoice_like


@pytest.mark.parametrize(
    ("root", "code", "expected", "route"),
    [
        ("Invoice", "380", DocType.INVOICE, Route.STRUCTURED),
        ("Invoice", "389", DocType.SELF_BILLED_INVOICE, Route.STRUCTURED),
        ("Invoice", "381", DocType.CREDIT_NOTE, Route.STRUCTURED),
        ("CreditNote", None, DocType.CREDIT_NOTE, Route.STRUCTURED),
        ("CreditNote", "380", DocType.CREDIT_NOTE, Route.STRUCTURED),
        ("DebitNote", None, DocType.DEBIT_NOTE, Route.STRUCTURED),
        ("Order", None, DocType.PURCHASE_ORDER, Route.NOT_INVOICE),
        ("OrderResponse", None, DocType.ORDER_RESPONSE, Route.NOT_INVOICE),
        ("DespatchAdvice", None, DocType.DESPATCH_ADVICE, Route.NOT_INVOICE),
        ("Reminder", None, DocType.REMINDER, Route.NOT_INVOICE),
        ("Statement", None, DocType.STATEMENT, Route.NOT_INVOICE),
        ("RemittanceAdvice", None, DocType.REMITTANCE_ADVICE, Route.NOT_INVOICE),
        ("Catalogue", None, DocType.OTHER, Route.NOT_INVOICE),
    ],
)
def test_ubl_doc_type_follows_root_then_code(root: str, code: str | None, expected: DocType, route: Route) -> None:
    detection = detect(ubl(root, code), LIMITS)
    assert detection.format is DocumentFormat.UBL
    assert detection.syntax == "ubl-2.1"
    assert (detection.doc_type, detection.route) == (expected, route)


def test_an_invoice_code_with_negative_amounts_stays_an_invoice() -> None:
    assert doc_type_for("CrossIndustryInvoice", "380") is DocType.INVOICE


def test_xml_that_is_neither_ubl_nor_cii_is_unsupported() -> None:
    detection = detect(b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>', LIMITS)
    assert (detection.format, detection.doc_type, detection.route) == (
        DocumentFormat.XML_OTHER,
        DocType.UNKNOWN,
        Route.UNSUPPORTED,
    )


def test_corpus_ubl_cii_and_zugferd1_hybrid(corpus: Path) -> None:
    ubl_doc = corpus / "peppol-bis3/rules/examples/Allowance-example.xml"
    detection = detect(ubl_doc.read_bytes(), LIMITS)
    assert (detection.format, detection.doc_type, detection.type_code) == (DocumentFormat.UBL, DocType.INVOICE, "380")
    assert detection.xml == ubl_doc.read_bytes()

    zf1 = corpus / "zugferd-corpus/ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_BASIC_Einfach.pdf"
    detection = detect(zf1.read_bytes(), LIMITS)
    assert detection.format is DocumentFormat.HYBRID_PDF
    assert detection.route is Route.STRUCTURED
    assert detection.syntax == "zugferd-1.0"
    assert detection.embedded_xml == "ZUGFeRD-invoice.xml"
    assert detection.pages == 1
    assert detection.xml is not None and b"CrossIndustryDocument" in detection.xml


def test_the_invoice_is_chosen_among_several_xml_attachments(corpus: Path) -> None:
    pdf = corpus / "zugferd-corpus/ZUGFeRDv1/correct/4s4u/additional-data-sample-1.pdf"
    assert detect(pdf.read_bytes(), LIMITS).embedded_xml == "ZUGFeRD-invoice.xml"


def test_the_richest_invoice_attachment_wins_and_hostile_ones_are_skipped() -> None:
    content = with_attachments(
        text_pdf(),
        {
            "factur-x.xml": cii("380", lines=1),
            "other-invoice.xml": cii("380", lines=5),
            "order.xml": ubl("Order"),
            "evil.xml": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "picture.png": image_bytes("PNG"),
        },
    )
    detection = detect(content, LIMITS)
    assert detection.format is DocumentFormat.HYBRID_PDF
    assert detection.embedded_xml == "other-invoice.xml"
    assert detection.xml == cii("380", lines=5)


def test_a_pdf_whose_only_attachment_is_hostile_falls_back_to_its_text() -> None:
    content = with_attachments(text_pdf(), {"factur-x.xml": b"<!DOCTYPE x SYSTEM 'http://x/'><x/>"})
    detection = detect(content, LIMITS)
    assert detection.format is DocumentFormat.TEXT_PDF
    assert "attachment_xml_doctype_forbidden" in [r.code for r in detection.reasons]


def test_ignoring_embedded_xml_reads_a_hybrid_pdf_as_text(corpus: Path) -> None:
    zf1 = corpus / "zugferd-corpus/ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_BASIC_Einfach.pdf"
    detection = detect(zf1.read_bytes(), LIMITS, ignore_embedded_xml=True)
    assert (detection.format, detection.route, detection.xml) == (DocumentFormat.TEXT_PDF, Route.TEXT, None)


def test_a_text_pdf_goes_to_the_text_reader() -> None:
    detection = detect(text_pdf(pages=3), LIMITS)
    assert (detection.format, detection.route, detection.pages) == (DocumentFormat.TEXT_PDF, Route.TEXT, 3)
    assert detection.doc_type is DocType.INVOICE


def test_a_scanned_pdf_goes_to_ocr() -> None:
    detection = detect(scanned_pdf(), LIMITS)
    assert (detection.format, detection.route, detection.pages) == (DocumentFormat.SCANNED_PDF, Route.OCR, 1)


def test_the_page_limit_is_enforced() -> None:
    detection = detect(text_pdf(pages=3), DetectLimits(max_pages=2))
    assert detection.route is Route.INVALID
    assert detection.reasons[0].code == "pdf_too_many_pages"


def test_a_password_protected_pdf_is_unsupported() -> None:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(text_pdf())) as document:
        document.save(out, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    detection = detect(out.getvalue(), LIMITS)
    assert (detection.route, detection.reasons[0].code) == (Route.UNSUPPORTED, "pdf_encrypted")


@pytest.mark.parametrize(("fmt", "frames"), [("PNG", 1), ("JPEG", 1), ("TIFF", 1), ("TIFF", 2)])
def test_images_go_to_ocr_with_their_page_count(fmt: str, frames: int) -> None:
    detection = detect(image_bytes(fmt, frames), LIMITS)
    assert (detection.format, detection.route, detection.pages) == (DocumentFormat.IMAGE, Route.OCR, frames)


def test_an_image_over_the_pixel_limit_is_refused() -> None:
    detection = detect(image_bytes("PNG"), DetectLimits(max_image_pixels=100))
    assert (detection.route, detection.reasons[0].code) == (Route.INVALID, "image_bomb")


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body>Invoice</body></html>",
        b"PK\x03\x04" + bytes(100),
        b"GIF89a" + bytes(100),
        "Rechnung Nr. 4711 über 119,00 EUR\n".encode(),
    ],
)
def test_other_formats_are_unsupported(content: bytes) -> None:
    detection = detect(content, LIMITS)
    assert (detection.format, detection.route) == (DocumentFormat.UNSUPPORTED, Route.UNSUPPORTED)
    assert detection.reasons[0].code == "unsupported_format"


def test_detect_never_raises_on_damaged_pdfs(corpus: Path) -> None:
    original = (corpus / "zugferd-corpus/ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_BASIC_Einfach.pdf").read_bytes()
    rng = random.Random(7)
    routes = set()
    for _ in range(20):
        damaged = bytearray(original)
        for _ in range(50):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        routes.add(detect(bytes(damaged), LIMITS).route)
    assert routes <= set(Route)


def test_limits_come_from_settings() -> None:
    settings = load_settings(max_pages=7, max_document_bytes=1000, detect_time_budget_s=1.5)
    limits = DetectLimits.from_settings(settings)
    assert (limits.max_pages, limits.max_bytes, limits.time_budget_s) == (7, 1000, 1.5)
    assert limits.max_xml_bytes == settings.max_xml_bytes
    assert limits.max_inflated_bytes == settings.max_inflated_bytes
    assert limits.max_image_pixels == settings.max_image_pixels
