"""The structured readers' registry: one entry per syntax, one shape per reader, and detect and extract both
finding readers through it (the syntax names detect writes lead back to the entry that wrote them)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from lxml import etree

from agents.detect import DetectLimits, detect
from agents.extract import extract_local
from agents.readers._detection import Detection
from agents.readers.registry import READERS, reader_for, reader_of, reader_of_syntax
from schemas import DocType, DocumentFormat, Route

LIMITS = DetectLimits()


def _corpus_xml(corpus: Path, limit: int = 60) -> list[Path]:
    """Up to `limit` XML documents of each corpus folder that lists its documents in a truth file."""
    found: list[Path] = []
    for truth in sorted(corpus.rglob("truth.jsonl")):
        rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]
        paths = [truth.parent / str(row["file"]) for row in rows if str(row.get("file", "")).endswith(".xml")]
        found.extend(p for p in paths[:limit] if p.is_file())
    return found


def test_each_entry_is_one_format_with_its_own_extractor_name() -> None:
    assert len({r.format for r in READERS}) == len({r.extractor for r in READERS}) == len(READERS)
    # the names readings carry in events and evaluation output are a contract: never renamed
    contract = {DocumentFormat.UBL: "ubl", DocumentFormat.CII: "cii", DocumentFormat.FATTURAPA: "fatturapa"}
    assert contract.items() <= {r.format: r.extractor for r in READERS}.items()
    for reader in READERS:
        assert reader_of(reader.format) is reader
    assert reader_of(DocumentFormat.TEXT_PDF) is None and reader_of(None) is None


def test_every_reader_has_the_same_shape() -> None:
    shapes = {tuple(str(inspect.signature(f)) for f in (r.recognises, r.identify, r.read)) for r in READERS}
    assert len(shapes) == 1, shapes


def test_detect_names_the_reader_that_recognises_the_root_and_its_syntax_leads_back_to_it(corpus: Path) -> None:
    seen = set()
    for path in _corpus_xml(corpus):
        content = path.read_bytes()
        detection = detect(content, LIMITS)
        if detection.xml_format is None:
            continue
        reader = reader_of(detection.xml_format)
        assert reader is not None and detection.syntax is not None, path
        assert reader_of_syntax(detection.syntax) is reader, (path, detection.syntax)
        if detection.route is Route.STRUCTURED:
            assert extract_local(detection, content).extractor == reader.extractor, path
        seen.add(reader.format)
    assert seen >= {DocumentFormat.UBL, DocumentFormat.CII}, seen


def test_a_judged_reading_is_the_plain_reading(corpus: Path) -> None:
    # the EN 16931 terms ride along in the reader's walk: they never change what it reads
    judged = 0
    for path in _corpus_xml(corpus):
        detection = detect(path.read_bytes(), LIMITS)
        reader = reader_of(detection.xml_format)
        if reader is None or detection.parsed is None:
            continue
        invoice, broken = reader.read_judged(detection.parsed.root, 1)
        assert invoice == reader.read(detection.parsed.root, 1), path
        assert all(r.code.startswith(("en16931_", "cenbii_")) or r.code == "amount_out_of_range" for r in broken), path
        judged += reader.judged is not None
    assert judged > 0


def test_an_earlier_entry_takes_a_root_a_later_one_also_claims() -> None:
    # the ZUGFeRD release candidate's root is Invoice, as UBL's: the CII entry, first, takes it
    rc = etree.fromstring(
        b'<rsm:Invoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CBFBUY:5"><IssueDate>2014-01-02</IssueDate>'
        b"</rsm:Invoice>"
    )
    ubl_reader = reader_of(DocumentFormat.UBL)
    assert ubl_reader is not None and ubl_reader.recognises(rc)
    reader = reader_for(rc)
    assert reader is not None and reader.format is DocumentFormat.CII
    assert reader.identify(rc).syntax == "zugferd-rc"


@pytest.mark.parametrize("syntax", ["", "xml", "edifact-d96a"])
def test_a_syntax_no_entry_wrote_names_no_reader(syntax: str) -> None:
    assert reader_of_syntax(syntax) is None


def test_xml_no_reader_recognises_is_refused_by_detect_and_by_extract() -> None:
    xml = b"<Catalogue><ID>1</ID></Catalogue>"
    detection = detect(xml, LIMITS)
    assert (detection.route, detection.format) == (Route.UNSUPPORTED, DocumentFormat.XML_OTHER)
    assert [r.code for r in detection.reasons] == ["xml_not_einvoice"]
    by_hand = Detection(format=DocumentFormat.UBL, doc_type=DocType.INVOICE, route=Route.STRUCTURED, xml=xml)
    extraction = extract_local(by_hand, xml)
    assert (extraction.extractor, extraction.invoice) == ("none", None)
    assert [r.code for r in extraction.reasons] == ["xml_not_einvoice"]
