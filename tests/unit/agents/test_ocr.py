"""Local OCR: tesseract TSV into lines, and a rendered corpus invoice read back through the text reader."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from agents.readers.ocr import ocr_enabled, parse_tsv, read_scanned_pdf, render_pdf, tesseract_path
from config.settings import load_settings

_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def test_parse_tsv_groups_words_into_lines_per_page() -> None:
    tsv = "\n".join([
        _HEADER,
        "1\t1\t0\t0\t0\t0\t0\t0\t1700\t2200\t-1\t",
        "5\t1\t1\t1\t1\t1\t100\t50\t80\t20\t96.1\tInvoice",
        "5\t1\t1\t1\t1\t2\t190\t50\t40\t20\t95.0\tNo.",
        "5\t1\t1\t1\t1\t3\t240\t50\t60\t20\t91.3\t4711",
        "5\t1\t2\t1\t1\t1\t900\t52\t70\t20\t90.0\tTotal",
        "5\t1\t2\t1\t1\t2\t1\t1\t1\t1\t-1\t ",
        "5\t2\t1\t1\t1\t1\t100\t60\t50\t20\t88.0\tPage2",
    ])
    pages = parse_tsv(tsv)
    assert len(pages) == 2
    first = pages[0]
    assert [line.text for line in first] == ["Invoice No. 4711", "Total"]
    assert (first[0].x0, first[0].y0, first[0].x1, first[0].y1) == (100, 50, 300, 70)
    assert pages[1][0].page == 1 and pages[1][0].text == "Page2"


def test_ocr_is_enabled_only_when_configured() -> None:
    assert not ocr_enabled(load_settings(ocr="none"))
    assert ocr_enabled(load_settings(ocr="tesseract")) == (tesseract_path() is not None)


def test_render_pdf_gives_one_png_per_page(corpus: Path) -> None:
    pdf = corpus / "zugferd-corpus" / "XML-Rechnung" / "FX" / "EN16931_Einfach.pdf"
    images = render_pdf(pdf.read_bytes(), dpi=50, max_pages=1)
    assert len(images) == 1 and images[0].startswith(b"\x89PNG")


@pytest.mark.skipif(tesseract_path() is None, reason="tesseract is not installed")
def test_a_rendered_corpus_invoice_reads_back_through_ocr(corpus: Path) -> None:
    pdf = corpus / "zugferd-corpus" / "XML-Rechnung" / "FX" / "EN16931_Einfach.pdf"
    data, reasons = read_scanned_pdf(pdf.read_bytes(), languages="eng")
    assert data.invoice_number == "471102"
    assert data.issue_date == date(2018, 3, 5)
    assert data.amount_due == Decimal("529.87")
    assert data.total_net == Decimal("473.00")
    assert "ocr_local" in {r.code for r in reasons}
    assert all(value <= 0.9 for value in data.confidence.values())  # OCR never claims certainty
