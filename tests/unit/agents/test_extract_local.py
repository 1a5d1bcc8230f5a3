"""The local extraction dispatch: the reader each route names, and no exception on a bad document."""

from __future__ import annotations

from pathlib import Path

from agents.detect import DetectLimits, detect
from agents.extract import LocalExtraction, extract_local, text_lines
from agents.readers._detection import Detection
from agents.readers.pdf_text import pdf_lines
from schemas import DocType, DocumentFormat, Route

LIMITS = DetectLimits()


def _extract(path: Path, *, ignore_embedded_xml: bool = False) -> LocalExtraction:
    content = path.read_bytes()
    return extract_local(detect(content, LIMITS, ignore_embedded_xml=ignore_embedded_xml), content)


def test_ubl_cii_and_hybrid_pdfs_go_to_their_readers(corpus: Path) -> None:
    ubl = _extract(corpus / "peppol-bis3/rules/examples/Allowance-example.xml")
    assert (ubl.extractor, ubl.invoice is not None) == ("ubl", True)
    cii = _extract(corpus / "zugferd-corpus/XML-Rechnung/CII/EN16931_Einfach.cii.xml")
    assert cii.extractor == "cii"
    hybrid = _extract(corpus / "zugferd-corpus/XML-Rechnung/FX/EN16931_Einfach.pdf")
    assert hybrid.extractor == "cii"
    assert hybrid.invoice is not None and cii.invoice is not None
    assert hybrid.invoice.amount_due == cii.invoice.amount_due


def test_the_xml_chosen_by_detect_is_the_one_read() -> None:
    cii = (
        b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
        b'xmlns:ram="urn:x"><rsm:ExchangedDocument><ram:ID>FROM-DETECTION</ram:ID></rsm:ExchangedDocument>'
        b"</rsm:CrossIndustryInvoice>"
    )
    detection = Detection(format=DocumentFormat.HYBRID_PDF, doc_type=DocType.INVOICE, route=Route.STRUCTURED, xml=cii)
    extraction = extract_local(detection, b"%PDF-1.7 not read at all")
    assert extraction.invoice is not None
    assert extraction.invoice.invoice_number == "FROM-DETECTION"


def test_a_hostile_xml_handed_to_extract_is_refused_not_read() -> None:
    detection = Detection(
        format=DocumentFormat.UBL,
        doc_type=DocType.INVOICE,
        route=Route.STRUCTURED,
        xml=b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Invoice>&e;</Invoice>',
    )
    extraction = extract_local(detection, b"")
    assert (extraction.extractor, extraction.invoice) == ("none", None)
    assert extraction.reasons[0].code == "xml_doctype_forbidden"


def test_a_text_pdf_goes_to_the_text_reader(corpus: Path) -> None:
    extraction = _extract(corpus / "zugferd-corpus/XML-Rechnung/FX/EN16931_Einfach.pdf", ignore_embedded_xml=True)
    assert extraction.extractor == "text"
    assert extraction.invoice is not None


def test_other_routes_extract_nothing() -> None:
    for route in (Route.OCR, Route.NOT_INVOICE, Route.UNSUPPORTED, Route.INVALID):
        detection = Detection(format=DocumentFormat.IMAGE, doc_type=DocType.UNKNOWN, route=route)
        assert extract_local(detection, b"\x89PNG") == LocalExtraction("none", None)


def test_lines_detect_kept_of_a_text_pdf_read_the_same_as_the_pdf_itself(corpus: Path) -> None:
    """A worker's detect keeps the lines of the pages its text probe loaded (`keep_lines`); extract then loads
    only the pages after them, and reads exactly what it reads from the document alone."""
    folder = corpus / "zugferd-corpus/XML-Rechnung/FX"
    for name in ("EN16931_Einfach.pdf", "EN16931_1_Teilrechnung.pdf", "EN16931_Betriebskostenabrechnung.pdf"):
        content = (folder / name).read_bytes()
        plain = detect(content, LIMITS, ignore_embedded_xml=True)
        kept = detect(content, LIMITS, ignore_embedded_xml=True, keep_lines=True)
        assert kept == plain and plain.lines is None and plain.route is Route.TEXT
        assert kept.lines and kept.pages is not None and kept.pages > len(kept.lines)
        every = pdf_lines(content)
        assert kept.lines == every[:len(kept.lines)]
        assert text_lines(content, kept.lines, kept.pages) == every == text_lines(content)
        assert extract_local(kept, content) == extract_local(plain, content)


def test_a_one_page_text_pdf_is_not_opened_again_when_detect_kept_its_lines() -> None:
    lines = ((),)
    assert text_lines(b"not a pdf: never opened", lines, pages=1) is lines


def test_lines_are_kept_only_for_a_text_pdf_the_text_reader_reads(corpus: Path) -> None:
    hybrid = (corpus / "zugferd-corpus/XML-Rechnung/FX/EN16931_Einfach.pdf").read_bytes()
    assert detect(hybrid, LIMITS, keep_lines=True).lines is None  # read from its XML
