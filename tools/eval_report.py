"""Render an evaluation report: the table `invoiceflow eval` prints, and its `--json` form.

Kept apart from the scoring in `tools.evaluate` so the numbers and their presentation change independently.
The table has one column per format and one row per metric, each cell ``percent (correct/total)``, then the
share routed to paid extraction, the rows the corpus marks invalid, and the first mismatches for diagnosis.
"""

from __future__ import annotations

import json
from typing import Any

from tools.evaluate import KEY_FIELDS, EvalReport, FormatScore, SelfCheck

__all__ = ["format_report", "report_to_dict", "report_to_json"]

_METRICS = ("doc_type", "format", *KEY_FIELDS)
_MAX_MISMATCHES = 20
_REFUSED = frozenset({"invalid", "not_invoice"})


def _cell(score: FormatScore, metric: str) -> str:
    for name, correct, total in score.counts:
        if name == metric:
            return "-" if total == 0 else f"{100.0 * correct / total:5.1f}% ({correct}/{total})"
    return "-"


def format_report(report: EvalReport) -> str:
    """Render the report as a plain-text table.

    Args:
        report: The result of `tools.evaluate.run_eval`.

    Returns:
        The table and notes, lines joined with newlines.
    """
    columns = (*report.by_format, report.overall)
    width = max(20, *(len(_cell(c, m)) + 2 for c in columns for m in _METRICS), *(len(c.format) + 2 for c in columns))
    mode = " (text only: hybrid PDFs read from their visible text)" if report.text_only else ""
    lines = [f"evaluation of {report.root}{mode}", ""]
    lines.append(f"{'metric':<16}" + "".join(f"{c.format:>{width}}" for c in columns))
    lines.append(f"{'rows':<16}" + "".join(f"{c.rows:>{width}}" for c in columns))
    for metric in _METRICS:
        lines.append(f"{metric:<16}" + "".join(f"{_cell(c, metric):>{width}}" for c in columns))
    lines.append("")
    lines.append(f"routed to paid extraction (ocr): {100.0 * report.paid_share:.1f}% of all documents")
    text_columns = sorted({r.column for r in report.rows if r.escalated is not None})
    for column in [None, *text_columns] if len(text_columns) > 1 else [None]:
        lines.extend(_self_check_lines(report.self_check(column), column))
    for number, (right, scored, check) in report.held_out_rounds().items():
        lines.append(f"held-out round {number}: key fields right {_share(right, scored)} ({right}/{scored})")
        lines.extend("  " + line for line in _self_check_lines(check, None))
    invalid_rows = [r for r in report.rows if r.invalid]
    lines.append(f"rows marked invalid in the corpus (not scored above): {len(invalid_rows)}")
    refused = sum(r.route in _REFUSED and bool(r.reasons) for r in invalid_rows)
    lines.append(f"  of which refused with a reason (route invalid or not_invoice): {refused}")
    for row in invalid_rows:
        wrong = ", ".join(f for f, ok in row.scored if not ok) or "none"
        lines.append(f"  {row.path}: route {row.route}, extractor {row.extractor}, fields wrong: {wrong}")
    mismatched = [(r, m) for r in report.rows if not r.invalid for m in r.mismatches]
    if mismatched:
        lines.append(f"mismatches on valid rows: {len(mismatched)} (first {_MAX_MISMATCHES})")
        for row, (field, want, got) in mismatched[:_MAX_MISMATCHES]:
            lines.append(f"  {row.path}: {field}: expected {want!r}, got {got!r}")
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _self_check_lines(check: SelfCheck, column: str | None) -> list[str]:
    """The self-check's split of text readings: accepted or sent to paid extraction, key fields wrong in each."""
    read = check.accepted + check.sent
    if not read:
        return []
    where = f" ({column})" if column else ""
    return [
        f"text readings{where}: {read}; the self-check accepts {check.accepted}, sends {check.sent} "
        f"({_share(check.sent, read)}) to paid extraction",
        f"  key fields wrong among accepted: {_share(check.accepted_wrong, check.accepted_fields)} "
        f"({check.accepted_wrong}/{check.accepted_fields}); among sent on: "
        f"{_share(check.sent_wrong, check.sent_fields)} ({check.sent_wrong}/{check.sent_fields})",
    ]


def _check_dict(check: SelfCheck) -> dict[str, int]:
    return {"accepted": check.accepted, "accepted_fields": check.accepted_fields,
            "accepted_wrong": check.accepted_wrong, "sent": check.sent, "sent_fields": check.sent_fields,
            "sent_wrong": check.sent_wrong}


def _score_dict(score: FormatScore) -> dict[str, Any]:
    return {
        "rows": score.rows,
        "paid": score.paid,
        "metrics": {
            name: {"correct": correct, "total": total, "accuracy": (correct / total) if total else None}
            for name, correct, total in score.counts
        },
    }


def report_to_dict(report: EvalReport) -> dict[str, Any]:
    """Return the report as plain JSON-ready data (per-format metrics, invalid rows, every row's result)."""
    return {
        "root": report.root,
        "text_only": report.text_only,
        "paid_share": report.paid_share,
        "by_format": {score.format: _score_dict(score) for score in report.by_format},
        "overall": _score_dict(report.overall),
        "invalid": _score_dict(report.invalid),
        "self_check": {column or "all": _check_dict(report.self_check(column))
                       for column in [None, *sorted({r.column for r in report.rows if r.escalated is not None})]},
        "held_out_rounds": {str(number): {"right": right, "scored": scored, "self_check": _check_dict(check)}
                            for number, (right, scored, check) in report.held_out_rounds().items()},
        "rows": [
            {
                "path": r.path,
                "invalid": r.invalid,
                "expected_format": r.expected_format,
                "format": r.format,
                "expected_doc_type": r.expected_doc_type,
                "doc_type": r.doc_type,
                "route": r.route,
                "extractor": r.extractor,
                "column": r.column,
                "escalated": r.escalated,
                "mismatches": [{"field": f, "expected": w, "got": g} for f, w, g in r.mismatches],
                "reasons": list(r.reasons),
            }
            for r in report.rows
        ],
    }


def report_to_json(report: EvalReport) -> str:
    """Serialise the report as indented JSON (what ``invoiceflow eval --json`` prints)."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False)
