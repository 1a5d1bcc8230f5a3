"""Orders are routed as orders (Order-X and UBL, bare or attached to a PDF); the ZUGFeRD release candidate
of 2013-2014 is read as the structured invoice it is."""

from __future__ import annotations

import json
import random
import re
from datetime import date
from pathlib import Path

import pytest

from agents.detect import DetectLimits, detect
from agents.extract import extract_local
from agents.readers import pdf
from schemas import DocType, DocumentFormat, Route
from tools.samples import SampleInvoice, make_invoice
from tools.samples._facturx import make_hybrid
from tools.samples._order_x import ORDER_RESPONSE, render_order_x
from tools.samples._pdf import render_pdf
from tools.samples._templates import layout_invoice

LIMITS = DetectLimits()
_RC_NAMESPACE = "urn:un:unece:uncefact:data:standard:CBFBUY:5"


def _invoice() -> SampleInvoice:
    return make_invoice(random.Random(3), 3, base_date=date(2026, 3, 1), language="de")


def _visible_pdf(inv: SampleInvoice) -> bytes:
    layout = layout_invoice(inv, random.Random(4), compact=False)
    return render_pdf(layout, title="Bestellung", author="x", subject="Bestellung")


@pytest.mark.parametrize(
    ("code", "doc_type"), [("220", DocType.PURCHASE_ORDER), (ORDER_RESPONSE, DocType.ORDER_RESPONSE)]
)
def test_order_x_xml_is_an_order(code: str, doc_type: DocType) -> None:
    detection = detect(render_order_x(_invoice(), code), LIMITS)
    assert (detection.format, detection.doc_type) == (DocumentFormat.CII, doc_type)
    assert detection.route is Route.NOT_INVOICE
    assert detection.syntax == "order-x" and detection.type_code == code
    assert detection.reasons[0].code == "not_invoice" and detection.xml is None


def test_a_pdf_carrying_order_x_is_an_order() -> None:
    inv = _invoice()
    hybrid = make_hybrid(_visible_pdf(inv), render_order_x(inv), created=date(2026, 3, 1),
                         alternative=False, name="order-x.xml", kind="ORDER")
    detection = detect(hybrid, LIMITS)
    assert detection.format is DocumentFormat.HYBRID_PDF and detection.embedded_xml == "order-x.xml"
    assert (detection.doc_type, detection.route) == (DocType.PURCHASE_ORDER, Route.NOT_INVOICE)


@pytest.mark.parametrize(("root", "doc_type"), [
    ("Order", DocType.PURCHASE_ORDER), ("OrderResponse", DocType.ORDER_RESPONSE),
    ("DespatchAdvice", DocType.DESPATCH_ADVICE),
])
def test_ubl_orders_and_despatch_advices_are_routed_as_what_they_are(root: str, doc_type: DocType) -> None:
    xml = (f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" xmlns:cbc='
           f'"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>1</cbc:ID>'
           f'<cbc:IssueDate>2026-01-02</cbc:IssueDate></{root}>').encode()
    detection = detect(xml, LIMITS)
    assert (detection.format, detection.doc_type) == (DocumentFormat.UBL, doc_type)
    assert detection.route is Route.NOT_INVOICE


def _release_candidate(corpus: Path) -> tuple[bytes, dict[str, object]]:
    """A ZUGFeRD 1.0 invoice of the corpus written as the release candidate wrote it: root Invoice in the
    CBFBUY:5 namespace, the same element names below."""
    name = "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_BASIC_Einfach.pdf"
    folder = corpus / "zugferd-corpus"
    row = next(r for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()
               if (r := json.loads(line))["file"] == name)
    document = pdf.open_pdf((folder / name).read_bytes())
    try:
        xml = pdf.read_attachment(document, 0, 1 << 20)
    finally:
        document.close()
    assert xml is not None
    text = xml.decode("utf-8")
    text = text.replace("urn:ferd:CrossIndustryDocument:invoice:1p0", _RC_NAMESPACE)
    text = re.sub(r"(</?)rsm:CrossIndustryDocument\b", r"\1rsm:Invoice", text)
    assert "rsm:Invoice" in text and _RC_NAMESPACE in text
    return text.encode("utf-8"), row


def test_the_zugferd_release_candidate_is_read_as_cii(corpus: Path) -> None:
    xml, row = _release_candidate(corpus)
    inv = _invoice()
    for content in (xml, make_hybrid(_visible_pdf(inv), xml, created=date(2014, 1, 2), alternative=False,
                                     name="ZUGFeRD-invoice.xml")):
        detection = detect(content, LIMITS)
        assert detection.route is Route.STRUCTURED and detection.syntax == "zugferd-rc"
        local = extract_local(detection, content)
        assert local.extractor == "cii" and local.invoice is not None
        assert local.invoice.invoice_number == row["invoice_number"]
        assert local.invoice.seller.name == row["seller_name"] and local.invoice.buyer.name == row["buyer_name"]
        assert float(local.invoice.amount_due or 0) == row["total_gross"]
        assert len(local.invoice.lines) == row["line_count"]
