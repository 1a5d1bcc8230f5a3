"""FatturaPA: the reader, the signed envelope, the schema faults, the parts of a file of several invoices."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from agents.detect import DetectLimits, detect, detected_events
from agents.extract import detection_of, extract_local
from agents.readers.cades import EnvelopeError, looks_signed, unwrap_signed
from schemas import DocType, DocumentFormat, DocumentRef, InvoiceReceived, Route, part_invoice_id
from tools.evaluate import run_eval
from tools.samples import generate_samples, make_invoice
from tools.samples._facturx import make_hybrid
from tools.samples._p7m import sign_p7m
from tools.samples._pdf import render_pdf
from tools.samples._templates import layout_invoice

LIMITS = DetectLimits()
NOW = datetime(2026, 6, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fatturapa")
    generate_samples(out, 90, formats=("fatturapa", "fatturapa_p7m"), seed=11, base_date=date(2026, 6, 1))
    return out


def _rows(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()]


def test_valid_corpus_rows_read_exactly_and_every_invalid_row_is_refused(fatturapa_corpus: Path) -> None:
    report = run_eval(fatturapa_corpus)
    (score,) = [s for s in report.by_format if s.format == "fatturapa"]
    assert score.rows == 6
    assert all(total == correct for _, correct, total in score.counts), [r.mismatches for r in report.rows]
    invalid = [r for r in report.rows if r.invalid]
    assert len(invalid) == 39
    assert all(r.route == "invalid" and r.reasons for r in invalid), [(r.path, r.route) for r in invalid]


def test_generated_files_of_every_kind_read_exactly(samples: Path) -> None:
    rows = _rows(samples)
    kinds = {str(r["type_code"]) for r in rows}
    assert len(kinds) >= 18  # every ordinary and simplified TipoDocumento
    assert any(int(str(r["bodies"])) > 1 for r in rows)
    assert any(r["encoding"] == "windows-1252" for r in rows)
    assert {r.get("signed") for r in rows} >= {"cades", "cades-base64"}
    report = run_eval(samples)
    assert report.overall.rows == len(rows)
    assert all(total == correct for _, correct, total in report.overall.counts), [
        (r.path, r.mismatches) for r in report.rows if r.mismatches][:3]


def test_tipo_documento_meanings(samples: Path) -> None:
    expected = {"TD04": DocType.CREDIT_NOTE, "TD05": DocType.DEBIT_NOTE, "TD16": DocType.SELF_BILLED_INVOICE,
                "TD28": DocType.SELF_BILLED_INVOICE, "TD01": DocType.INVOICE, "TD24": DocType.INVOICE,
                "TD08": DocType.CREDIT_NOTE}
    seen = set()
    for row in _rows(samples):
        code = str(row["type_code"])
        if code in expected:
            detection = detect((samples / str(row["file"])).read_bytes(), LIMITS)
            assert detection.doc_type is expected[code], row["file"]
            seen.add(code)
    assert seen == set(expected)


def test_withholding_stamp_duty_and_the_encoding_are_kept(samples: Path) -> None:
    rows = [r for r in _rows(samples) if r["withholding"] and r["stamp_duty"] and r["encoding"] == "windows-1252"
            and not r.get("signed") and r["format"] == "fatturapa"]
    assert rows
    content = (samples / str(rows[0]["file"])).read_bytes()
    assert b'encoding="windows-1252"' in content
    invoice = extract_local(detect(content, LIMITS), content).invoice
    assert invoice is not None and invoice.stamp_duty == Decimal("2.00")
    assert invoice.withholding_total == (Decimal(str(rows[0]["total_net"])) * Decimal("0.2")).quantize(Decimal("0.01"))


def _first_xml(samples: Path) -> bytes:
    row = next(r for r in _rows(samples) if not r.get("signed") and r["format"] == "fatturapa")
    return (samples / str(row["file"])).read_bytes()


def test_signed_envelopes_verify_and_a_tampered_one_is_read_but_flagged(samples: Path) -> None:
    xml = _first_xml(samples)
    for signed in (sign_p7m(xml), sign_p7m(xml, as_base64=True)):
        detection = detect(signed, LIMITS)
        assert detection.route is Route.STRUCTURED and detection.signed
        assert [r.code for r in detection.reasons] == ["signed_cades"]
    altered = bytearray(sign_p7m(xml))
    at = altered.index(b"<Numero>") + len(b"<Numero>")
    altered[at] = ord("9") if altered[at] != ord("9") else ord("8")
    detection = detect(bytes(altered), LIMITS)
    assert detection.route is Route.STRUCTURED
    assert "signature_not_verified" in [r.code for r in detection.reasons]


@pytest.mark.parametrize("damage", ["cut", "garbled", "base64"])
def test_a_broken_envelope_is_invalid_never_a_crash(samples: Path, damage: str) -> None:
    signed = sign_p7m(_first_xml(samples))
    if damage == "cut":
        broken = signed[: len(signed) // 2]
    elif damage == "garbled":
        broken = signed[:40] + bytes(b ^ 0x5A for b in signed[40:80]) + signed[80:]
    else:
        broken = base64.encodebytes(signed.decode("latin-1").encode("utf-8"))  # re-encoded as text, then base64
    detection = detect(broken, LIMITS)
    assert detection.route is Route.INVALID
    assert detection.reasons[0].code == "signature_envelope_corrupt"


def test_the_envelope_reader_is_bounded() -> None:
    nested = b"\x30\x80" * 40 + b"\x00\x00" * 40
    with pytest.raises(EnvelopeError):
        unwrap_signed(nested, 1024)
    with pytest.raises(EnvelopeError, match="larger"):
        unwrap_signed(sign_p7m(b"<a>" + b"x" * 2000 + b"</a>"), 1000)
    assert not looks_signed(b"Meeting notes: nothing to sign here.")


def _received(content: bytes, invoice_id: str = "inv-1") -> InvoiceReceived:
    ref = DocumentRef(inline_b64=base64.b64encode(content).decode(), sha256="0" * 64, size=len(content))
    return InvoiceReceived(event_id="ev-1", invoice_id=invoice_id, tenant_id="t", received_at=NOW, document=ref)


def test_a_file_of_several_bodies_gives_one_event_per_part_with_stable_ids(samples: Path) -> None:
    row = next(r for r in _rows(samples) if int(str(r["bodies"])) == 3 and not r.get("signed"))
    content = (samples / str(row["file"])).read_bytes()
    detection = detect(content, LIMITS)
    assert len(detection.parts) == 3
    events = detected_events(_received(content), detection, None, NOW)
    assert [e.invoice_id for e in events] == ["inv-1#1", "inv-1#2", "inv-1#3"]
    assert [e.part for e in events] == [1, 2, 3]
    assert len({e.event_id for e in events}) == 3
    again = detected_events(_received(content), detection, None, NOW)
    assert [e.event_id for e in again] == [e.event_id for e in events]  # a redelivery is recognised
    resent = detected_events(_received(content, "inv-2"), detection, "inv-1", NOW)
    assert [e.duplicate_of for e in resent] == ["inv-1#1", "inv-1#2", "inv-1#3"]
    assert all(e.route is Route.DUPLICATE for e in resent)
    numbers = []
    for event in events:
        local = extract_local(detection_of(event, Route.STRUCTURED, content, LIMITS), content)
        assert local.extractor == "fatturapa" and local.invoice is not None
        numbers.append(local.invoice.invoice_number)
    assert numbers == [row["invoice_number"], f"{row['invoice_number']}-2", f"{row['invoice_number']}-3"]


def test_a_signed_part_is_read_again_from_its_event(samples: Path) -> None:
    content = sign_p7m(_first_xml(samples), as_base64=True)
    (event,) = detected_events(_received(content), detect(content, LIMITS), None, NOW)
    assert event.format is DocumentFormat.FATTURAPA and event.part is None
    local = extract_local(detection_of(event, Route.STRUCTURED, content, LIMITS), content)
    assert local.extractor == "fatturapa" and local.invoice is not None and local.invoice.invoice_number


def test_part_ids_fit_the_contract_and_stay_distinct() -> None:
    assert part_invoice_id("abc", 2) == "abc#2"
    long_a, long_b = "a" * 199 + "x", "a" * 199 + "y"
    ids = {part_invoice_id(long_a, 1), part_invoice_id(long_b, 1), part_invoice_id(long_a, 2)}
    assert len(ids) == 3 and all(len(i) <= 200 for i in ids)
    with pytest.raises(ValueError):
        part_invoice_id("abc", 0)


def _scored(content: bytes) -> tuple[str, list[str]]:
    from agents.rules.history import ScoreContext
    from agents.score import score
    from config.policy import load_policy_book
    from schemas import InvoiceExtracted

    detection = detect(content, LIMITS)
    local = extract_local(detection, content)
    extracted = InvoiceExtracted(
        event_id="e", invoice_id="i", tenant_id="t", received_at=NOW, extracted_at=NOW,
        document=DocumentRef(uri="file:///x.p7m", sha256="0" * 64, size=len(content)), format=detection.format,
        route=local.route or detection.route, extractor=local.extractor, invoice=local.invoice,
        reasons=(*detection.reasons, *local.reasons),
    )
    result = score(extracted, load_policy_book(None).policy_for("t"), ScoreContext(vendor_known=True), NOW)
    return result.decision.value, [r.code for r in result.reasons]


def test_a_signature_that_fails_holds_the_invoice_for_review(samples: Path) -> None:
    row = next(r for r in _rows(samples) if not r.get("signed") and r["format"] == "fatturapa"
               and r["doc_type"] == "invoice" and r["total_gross"] is not None)
    xml = (samples / str(row["file"])).read_bytes()
    decision, reasons = _scored(sign_p7m(xml))
    assert decision == "auto_approve" and reasons == []
    altered = bytearray(sign_p7m(xml))
    at = altered.index(b"<Causale>") + len(b"<Causale>")
    altered[at] = ord("X")
    decision, reasons = _scored(bytes(altered))
    assert decision == "review" and reasons == ["signature_not_verified"]


def test_a_part_that_is_no_invoice_is_routed_as_such(samples: Path) -> None:
    row = next(r for r in _rows(samples) if int(str(r["bodies"])) > 1 and not r.get("signed")
               and r["format"] == "fatturapa")
    content = (samples / str(row["file"])).read_bytes()
    second = content.decode(str(row["encoding"])).split("<TipoDocumento>")
    second[2] = "TD29" + second[2][4:]  # the buyer's notice of an invoice never issued
    altered = "<TipoDocumento>".join(second).encode(str(row["encoding"]))
    detection = detect(altered, LIMITS)
    events = detected_events(_received(altered), detection, None, NOW)
    assert [e.route for e in events[:2]] == [Route.STRUCTURED, Route.NOT_INVOICE]
    assert events[1].doc_type is DocType.OTHER and events[1].reasons[-1].code == "not_invoice"


def test_a_signed_ubl_invoice_is_read_too(tmp_path: Path) -> None:
    rows = generate_samples(tmp_path, 1, formats=("ubl",), seed=4, base_date=date(2026, 6, 1))
    content = sign_p7m((tmp_path / str(rows[0]["file"])).read_bytes())
    (event,) = detected_events(_received(content), detect(content, LIMITS), None, NOW)
    assert event.format is DocumentFormat.UBL and "signed_cades" in [r.code for r in event.reasons]
    local = extract_local(detection_of(event, Route.STRUCTURED, content, LIMITS), content)  # another process
    assert local.extractor == "ubl" and local.invoice is not None
    assert local.invoice.invoice_number == rows[0]["invoice_number"]


def test_a_refused_fatturapa_still_says_what_it_is(samples: Path) -> None:
    row = next(r for r in _rows(samples) if r["type_code"] == "TD04" and not r.get("signed")
               and r["format"] == "fatturapa" and int(str(r["bodies"])) == 1)
    content = (samples / str(row["file"])).read_bytes()
    broken = content.replace(b"<Divisa>EUR</Divisa>", b"<Divisa>euro</Divisa>", 1)
    assert broken != content
    detection = detect(broken, LIMITS)
    assert detection.route is Route.INVALID and detection.reasons[0].code == "fatturapa_invalid_value"
    assert (detection.format, detection.doc_type, detection.type_code) == (
        DocumentFormat.FATTURAPA, DocType.CREDIT_NOTE, "TD04")
    assert detection.syntax is not None and detection.syntax.startswith("fatturapa")
    # attached to a PDF, the file is the PDF's: the format says so, the XML's format is kept apart
    layout = layout_invoice(make_invoice(random.Random(3), 3, base_date=date(2026, 3, 1)), random.Random(4),
                            compact=False)
    visible = render_pdf(layout, title="Fattura", author="x", subject="Fattura")
    hybrid = make_hybrid(visible, broken, created=date(2026, 3, 1), alternative=False, name="fattura.xml")
    inside = detect(hybrid, LIMITS)
    assert inside.route is Route.INVALID and inside.reasons[0].code == "fatturapa_invalid_value"
    assert (inside.format, inside.xml_format, inside.doc_type) == (
        DocumentFormat.HYBRID_PDF, DocumentFormat.FATTURAPA, DocType.CREDIT_NOTE)


@pytest.mark.parametrize("value", [b"1E+999999", b"99999999999999999999.00", b"1E-999999"])
def test_an_amount_no_invoice_states_is_refused_and_scored_without_a_crash(samples: Path, value: bytes) -> None:
    content = _first_xml(samples)
    start = content.index(b"<ImponibileImporto>") + len(b"<ImponibileImporto>")
    end = content.index(b"</ImponibileImporto>", start)
    hostile = content[:start] + value + content[end:]
    extraction = extract_local(detect(hostile, LIMITS), hostile)
    decision, codes = _scored(hostile)
    if value == b"1E-999999":  # more places than any amount: not read, so the VAT summary lacks its base
        assert extraction.invoice is not None and decision != "auto_approve"
        return
    assert extraction.route is Route.INVALID and [r.code for r in extraction.reasons] == ["amount_out_of_range"]
    assert decision == "reject" and "amount_out_of_range" in codes
