"""ISDOC (toy): detected as its own syntax before UBL's, read by its entry, a broken one refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from agents.detect import DetectLimits, detect
from agents.extract import extract_local
from schemas import DocType, DocumentFormat, Route

SAMPLE = Path(__file__).parent / "isdoc_sample.xml"


def test_isdoc_is_detected_and_read() -> None:
    content = SAMPLE.read_bytes()
    detection = detect(content, DetectLimits())
    assert (detection.format, detection.route, detection.doc_type) == (
        DocumentFormat.ISDOC, Route.STRUCTURED, DocType.INVOICE)
    assert detection.syntax == "isdoc-6.0.1"
    local = extract_local(detection, content)
    assert local.extractor == "isdoc" and local.invoice is not None
    assert (local.invoice.invoice_number, local.invoice.amount_due) == ("FV-2026-0042", Decimal("242.00"))
    assert local.invoice.seller.vat_id == "CZ12345678" and local.invoice.seller_iban == "CZ6508000000192000145399"


def test_a_broken_isdoc_is_refused() -> None:
    detection = detect(SAMPLE.read_bytes()[:-40], DetectLimits())
    assert detection.route is Route.INVALID
