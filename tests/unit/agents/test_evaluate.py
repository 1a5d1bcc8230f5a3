"""The evaluation against the shared corpus: the issue's acceptance line, and the scoring rules themselves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agents.readers._en16931_check import claims_core
from schemas import DocType
from tools.eval_report import format_report, report_to_json
from tools.evaluate import KEY_FIELDS, EvalReport, expected_doc_type, run_eval

ACCEPTANCE_FORMATS = ("ubl", "cii", "hybrid_pdf")


@pytest.fixture(scope="module")
def report(corpus: Path) -> EvalReport:
    return run_eval(corpus, text_only=False)


def test_document_type_is_right_on_every_valid_row(report: EvalReport) -> None:
    assert report.overall.rows > 300
    assert report.overall.accuracy("doc_type") == 1.0
    assert report.overall.accuracy("format") == 1.0


@pytest.mark.parametrize("fmt", ACCEPTANCE_FORMATS)
@pytest.mark.parametrize("field", KEY_FIELDS)
def test_every_key_field_is_exact_on_valid_structured_rows(report: EvalReport, fmt: str, field: str) -> None:
    (score,) = [s for s in report.by_format if s.format == fmt]
    assert score.rows > 50
    wrong = [(r.path, m) for r in report.rows if r.expected_format == fmt and not r.invalid for m in r.mismatches]
    assert score.accuracy(field) == 1.0, wrong[:5]


def test_invalid_rows_are_reported_apart_and_not_crashed_on(report: EvalReport, corpus: Path) -> None:
    marked = sum(
        1
        for truth in corpus.rglob("truth.jsonl")
        for line in truth.read_text(encoding="utf-8").splitlines()
        if json.loads(line).get("invalid")
    )
    assert marked > 0
    assert report.invalid.rows == marked
    table = format_report(report)
    assert all(row.path in table for row in report.rows if row.invalid)
    assert report.paid_share == 0.0  # every corpus document is machine-readable


def test_every_invalid_row_is_refused_with_a_reason(report: EvalReport, corpus: Path) -> None:
    """Issue 14's bar: every row the corpus marks invalid ends invalid or not_invoice with a reason; one whose
    document claims EN 16931 (or a compliant CIUS) ends invalid, the EN 16931 breakers on the route extract
    ends them on; a refused row is counted as refused by the report."""
    claims = {
        str(truth.parent / json.loads(line)["file"]): str(json.loads(line).get("profile") or "")
        for truth in corpus.rglob("truth.jsonl")
        for line in truth.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    invalid = [r for r in report.rows if r.invalid]
    core = [r for r in invalid if claims_core(claims[str(corpus / r.path)])]
    assert core
    assert [r.path for r in core if r.route != "invalid" or not r.reasons] == []
    en16931 = [r for r in invalid if any(code.startswith("en16931_") for code in r.reasons)]
    assert en16931 and all(r.route == "invalid" and r.extractor in ("ubl", "cii") for r in en16931)
    refused = sum(r.route in ("invalid", "not_invoice") and bool(r.reasons) for r in invalid)
    assert refused == len(invalid), [r.path for r in invalid if r.route not in ("invalid", "not_invoice")]
    assert f"refused with a reason (route invalid or not_invoice): {refused}" in format_report(report)


def test_the_table_and_json_carry_the_figures(report: EvalReport) -> None:
    table = format_report(report)
    assert "hybrid_pdf" in table and "total_gross" in table and "100.0%" in table
    assert "rows marked invalid in the corpus" in table
    data = json.loads(report_to_json(report))
    assert data["by_format"]["cii"]["metrics"]["invoice_number"]["accuracy"] == 1.0
    assert data["invalid"]["rows"] == report.invalid.rows


def test_389_is_expected_as_self_billed_and_corpus_labels_map_to_our_enum() -> None:
    assert expected_doc_type({"doc_type": "invoice", "type_code": "389"}) is DocType.SELF_BILLED_INVOICE
    assert expected_doc_type({"doc_type": "invoice", "type_code": "380"}) is DocType.INVOICE
    assert expected_doc_type({"doc_type": "payment_reminder"}) is DocType.REMINDER
    assert expected_doc_type({"doc_type": "account_statement"}) is DocType.STATEMENT
    assert expected_doc_type({"doc_type": "waybill"}) is DocType.OTHER


def _mini_corpus(tmp_path: Path, corpus: Path, row_edit: dict[str, object]) -> Path:
    source = corpus / "peppol-bis3"
    row = json.loads((source / "truth.jsonl").read_text(encoding="utf-8").splitlines()[0])
    target = tmp_path / "mini"
    (target / Path(row["file"]).parent).mkdir(parents=True)
    shutil.copy(source / row["file"], target / row["file"])
    missing = dict(row, file="does/not/exist.xml")
    (target / "truth.jsonl").write_text(json.dumps(dict(row, **row_edit)) + "\n" + json.dumps(missing) + "\n")
    return target


def test_a_wrong_value_is_scored_wrong_to_the_cent(tmp_path: Path, corpus: Path) -> None:
    first = json.loads((corpus / "peppol-bis3/truth.jsonl").read_text(encoding="utf-8").splitlines()[0])
    mini = _mini_corpus(tmp_path, corpus, {"total_gross": first["total_gross"] + 0.01, "seller_name": "Someone"})
    result = run_eval(mini)
    real = [r for r in result.rows if r.path.endswith(".xml") and "does/not" not in r.path]
    assert {m[0] for m in real[0].mismatches} == {"total_gross", "seller_name"}
    assert result.overall.accuracy("total_gross") == 0.0  # the real row is wrong, the missing file too
    assert result.overall.accuracy("currency") == 0.5  # a missing file is a failed row, not a crash


def test_names_compare_after_whitespace_normalisation(tmp_path: Path, corpus: Path) -> None:
    first = json.loads((corpus / "peppol-bis3/truth.jsonl").read_text(encoding="utf-8").splitlines()[0])
    spaced = "  " + str(first["seller_name"]).replace(" ", "   ") + "\n"
    result = run_eval(_mini_corpus(tmp_path, corpus, {"seller_name": spaced}))
    assert not [m for r in result.rows if "does/not" not in r.path for m in r.mismatches]


def test_text_only_scores_pdf_rows_on_visible_values(corpus: Path, tmp_path: Path) -> None:
    rows = [
        json.loads(line)
        for line in (corpus / "zugferd-corpus/truth.jsonl").read_text(encoding="utf-8").splitlines()
        if '"facturx-pdf"' in line
    ]
    hidden = next(r for r in rows if r["text_check"]["total_gross_in_text"] is False)
    visible = next(r for r in rows if r["text_check"]["total_gross_in_text"] is True)
    target = tmp_path / "pdfs"
    for row in (hidden, visible):
        (target / Path(row["file"]).parent).mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus / "zugferd-corpus" / row["file"], target / row["file"])
    (target / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in (hidden, visible)))
    result = run_eval(target, text_only=True)
    assert [s.format for s in result.by_format] == ["text_pdf"]
    assert {r.extractor for r in result.rows} <= {"text", "none"}
    gross_scored = [r for r in result.rows if any(f == "total_gross" for f, _ in r.scored)]
    assert len(gross_scored) == 1


def test_hard_layouts_get_a_column_and_the_self_check_split(tmp_path: Path) -> None:
    from datetime import date

    from tools.samples import generate_samples

    generate_samples(tmp_path / "hard", 6, ("text_pdf_hard",), seed=7, base_date=date(2026, 3, 1))
    generate_samples(tmp_path / "std", 3, ("text_pdf",), seed=2, base_date=date(2026, 3, 1))
    report = run_eval(tmp_path)
    held = sum(json.loads(line)["held_out_layout"] for line in (tmp_path / "hard" / "truth.jsonl").open())
    assert 0 < held < 6
    assert [s.format for s in report.by_format] == ["text_pdf", "text_pdf/hard", "text_pdf/hard/held-out"]
    assert [s.rows for s in report.by_format] == [3, 6 - held, held]
    hard = report.self_check("text_pdf/hard")
    assert hard.accepted + hard.sent == 6 - held
    assert hard.accepted_fields + hard.sent_fields == (6 - held) * len(KEY_FIELDS)
    wrong = sum(not ok for r in report.rows if r.column == "text_pdf/hard" for _, ok in r.scored)
    assert hard.accepted_wrong + hard.sent_wrong == wrong
    assert all(r.escalated is not None for r in report.rows)  # every one was read by the text reader
    table = format_report(report)
    assert "text_pdf/hard" in table and "the self-check accepts" in table and "among sent on" in table
    data = json.loads(report_to_json(report))
    assert data["self_check"]["text_pdf/hard"]["accepted"] == hard.accepted


def test_structured_rows_are_not_put_to_the_text_self_check(report: EvalReport) -> None:
    assert all(r.escalated is None for r in report.rows if r.extractor in ("ubl", "cii"))
    assert report.self_check().accepted + report.self_check().sent == 0
