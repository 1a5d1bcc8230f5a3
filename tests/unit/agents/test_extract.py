"""Extract reads what detect decided: the XML's reader, the signature, the hybrid's attachment, the part, carried
in the event (version 2, or derived from a version-1 event); the tree detect parsed is reused through the
worker's memo, and a miss reads the very same invoice from the document."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from agents import extract
from agents.context import Memos, StageContext
from agents.detect import DetectLimits, detect, detect_agent, detected_events
from agents.extract import LocalExtraction, detection_of, extract_agent, extract_local
from config.policy import PolicyReloader
from config.settings import Settings
from schemas import DocumentDetected, InvoiceExtracted, InvoiceReceived, Route
from streams.codecs import encode
from streams.publisher import received_for_file
from streams.sinks.fakes import FakeDedupeIndex
from streams.stage import Inbound, Outbound
from tools.evaluate import iter_truth
from tools.samples import generate_samples
from tools.samples._p7m import sign_p7m

LIMITS = DetectLimits()
NOW = datetime(2026, 6, 2, tzinfo=UTC)


def _received(path: Path) -> InvoiceReceived:
    return received_for_file(path, "t", Settings(file_roots=(path.parent,)))


def _version_1(event: DocumentDetected) -> DocumentDetected:
    """The event as a version-1 worker wrote it (no xml_format, no signed)."""
    data = event.model_dump(mode="json", exclude={"xml_format", "signed"}, exclude_none=True)
    return DocumentDetected.model_validate({**data, "schema_version": 1})


def _readings(path: Path) -> list[tuple[LocalExtraction, ...]]:
    """For each event of a document that extract reads from XML: the reading with detect's tree (a memo hit),
    from the document (a miss), from the version-1 event, and in one process straight from the Detection."""
    content = path.read_bytes()
    detection = detect(content, LIMITS)
    out = []
    for event in detected_events(_received(path), detection, None, NOW):
        if event.route is not Route.STRUCTURED:
            continue
        assert event.schema_version == 2 and event.xml_format is not None
        hit = extract_local(detection_of(event, Route.STRUCTURED, content, LIMITS, detection.parsed), content)
        miss = extract_local(detection_of(event, Route.STRUCTURED, content, LIMITS), content)
        old = extract_local(detection_of(_version_1(event), Route.STRUCTURED, content, LIMITS), content)
        direct = extract_local(detection, content) if event.part in (None, 1) else hit
        out.append((hit, miss, old, direct))
    return out


def test_a_hit_a_miss_and_a_version_1_event_read_the_same_invoice_over_the_corpus(corpus: Path) -> None:
    read = 0
    for path, _row in iter_truth(corpus):
        for hit, miss, old, direct in _readings(path):
            assert hit == miss == old == direct, path
            read += 1
    assert read > 50


def test_signed_and_multi_part_files_read_the_same_from_the_event(tmp_path: Path) -> None:
    rows = generate_samples(tmp_path, 30, formats=("fatturapa", "fatturapa_p7m", "hybrid_pdf"), seed=13,
                            base_date=date(2026, 6, 1))
    (ubl,) = generate_samples(tmp_path / "u", 1, formats=("ubl",), seed=4, base_date=date(2026, 6, 1))
    signed = tmp_path / "signed-ubl.xml.p7m"
    signed.write_bytes(sign_p7m((tmp_path / "u" / str(ubl["file"])).read_bytes()))
    paths = [tmp_path / str(r["file"]) for r in rows] + [signed]
    readings = [r for p in paths for r in _readings(p)]
    assert len(readings) > len(rows)  # files of several invoices give one reading a part
    for hit, miss, old, _ in readings:
        assert hit == miss == old and hit.invoice is not None


def test_a_hybrid_pdf_is_not_opened_again_when_detect_s_tree_is_at_hand(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = corpus / "zugferd-corpus/XML-Rechnung/FX/EN16931_Einfach.pdf"
    content = path.read_bytes()
    detection = detect(content, LIMITS)
    (event,) = detected_events(_received(path), detection, None, NOW)
    assert event.embedded_xml and event.xml_format is not None

    def never(_content: bytes) -> None:
        raise AssertionError("the PDF was opened again")

    monkeypatch.setattr(extract.pdf, "open_pdf", never)
    local = extract_local(detection_of(event, Route.STRUCTURED, content, LIMITS, detection.parsed), content)
    assert local.extractor == "cii" and local.invoice is not None
    assert not hasattr(extract, "detect")  # extract never runs detection


class _Resources:
    def __init__(self) -> None:
        self.index = FakeDedupeIndex()

    async def dedupe(self) -> FakeDedupeIndex:
        return self.index

    def fetcher(self) -> None:
        return None

    async def vendor_layouts(self, _parse: object) -> _NoLayouts:
        return _NoLayouts()

    async def paid_extractor(self, _budgets: object) -> None:
        return None


class _NoLayouts:
    async def for_tenant(self, _tenant: str) -> tuple[()]:
        return ()


def _ctx(settings: Settings, memos: Memos) -> StageContext:
    return StageContext(settings=settings, resources=_Resources(), policies=PolicyReloader(None),  # type: ignore[arg-type]
                        memos=memos)


def _msg(value: bytes, offset: int) -> Inbound:
    return Inbound(b"k", value, [], "p.invoices.x", 0, offset, 0, [])


async def _through_both(tmp_path: Path, memos: Memos,
                        formats: tuple[str, ...] = ("ubl", "cii", "hybrid_pdf", "fatturapa")) -> list[InvoiceExtracted]:
    settings = Settings(file_roots=(tmp_path,))
    rows = generate_samples(tmp_path, 12, formats=formats, seed=7)
    ctx = _ctx(settings, memos)
    detect_handle, extract_handle = detect_agent(ctx), extract_agent(ctx)
    received = [received_for_file(tmp_path / str(r["file"]), "t", settings) for r in rows]
    detected = await detect_handle([_msg(encode(ev, memos.events), i) for i, ev in enumerate(received)])
    sends = [o for out in detected if isinstance(out, list) for o in out]
    assert len(sends) >= len(rows)
    extracted = await extract_handle([_msg(o.value or b"", i) for i, o in enumerate(sends)])
    out = []
    for one in extracted:
        assert isinstance(one, list) and isinstance(one[0], Outbound)
        out.append(InvoiceExtracted.model_validate_json(one[0].value or b""))
    return out


async def test_extract_takes_detect_s_tree_from_the_worker_s_memo_and_reads_the_same(tmp_path: Path) -> None:
    memos = Memos.from_settings(Settings())
    assert memos.xml is not None and memos.events is not None and memos.documents is not None
    remembered = await _through_both(tmp_path / "a", memos)
    assert memos.xml.hits == len(remembered) and memos.xml.misses == 0 and len(memos.xml) == 0
    assert memos.documents.hits >= 1  # the first part of each file takes the bytes detect loaded
    forgotten = await _through_both(tmp_path / "b", Memos())  # another process ran detect: nothing at hand
    assert all(e.invoice is not None for e in remembered)
    assert [_same(e) for e in remembered] == [_same(e) for e in forgotten]


async def test_extract_takes_the_lines_detect_read_of_a_text_pdf_and_reads_the_same(tmp_path: Path) -> None:
    memos = Memos.from_settings(Settings())
    assert memos.text is not None
    remembered = await _through_both(tmp_path / "a", memos, ("text_pdf",))
    assert memos.text.hits == len(remembered) == 12 and memos.text.misses == 0 and len(memos.text) == 0
    forgotten = await _through_both(tmp_path / "b", Memos(), ("text_pdf",))
    assert all(e.invoice is not None and e.extractor == "text" for e in remembered)
    assert [_same(e) for e in remembered] == [_same(e) for e in forgotten]


def _same(event: InvoiceExtracted) -> tuple[object, ...]:
    """What does not depend on when or where: the reading itself."""
    return event.extractor, event.route, event.format, event.invoice, event.reasons, event.pages
