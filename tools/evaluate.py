"""Score detect + local extraction against a labelled corpus (`invoiceflow eval DIR`), with no Kafka at all.

Every `truth.jsonl` under the directory names documents and the values their own XML states. Each document
runs through `detect` and `extract_local` exactly as the stages would run them, and each key field is
compared exactly: dates as ISO strings, amounts to the cent, names after whitespace normalisation. Fields
are scored on invoice-like rows only (we do not extract orders or catalogues); rows the corpus marks
`invalid` are scored too but reported apart, never in the acceptance figures (a row's route is detect's, or
``invalid`` when its reader found the e-invoice breaks EN 16931, as the extract stage ends it). `text_only`
treats hybrid PDFs as the text PDFs they also are and scores only values their `text_check` says are visible.

A row whose `fields_labelled` is false names the document's type but not its values: only its type and
format are scored. A FatturaPA file with several bodies is several invoices; its row (`bodies` > 1)
describes the first, which is what `extract_local` reads when detection names no part. Several corpus
folders may be evaluated together (`run_eval` takes a list), so one table holds every format.

Rows from a layout family of the generator (`layout_family`, the hard text-PDF layouts) are scored in a
column of their own (`text_pdf/hard`, and `text_pdf/hard/held-out` for the layouts held back from tuning), so
their figures are not mixed with the standard templates'. For every
document the text reader read, the report also says whether the extract stage's self-check (the default
policy's `escalation_reason`) would accept the reading or send it on to paid extraction, and how many key
fields were wrong on each side: a reader that is unsure must send its errors on, not accept them. The held-out
column may hold several rounds of layouts (each measured once, never tuned on): each round gets its figures too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from agents.detect import DetectLimits, detect
from agents.extract import extract_local
from agents.paid import escalation_reason
from config.policy import TenantPolicy, load_policy_book
from schemas import INVOICE_LIKE, DocType, DocumentFormat, InvoiceData, Route

__all__ = [
    "KEY_FIELDS",
    "EvalReport",
    "FormatScore",
    "RowResult",
    "SelfCheck",
    "expected_doc_type",
    "field_results",
    "iter_truth",
    "run_eval",
]

KEY_FIELDS = (
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "seller_name",
    "buyer_name",
    "total_net",
    "total_tax",
    "total_gross",
    "line_count",
)
_AMOUNTS = frozenset({"total_net", "total_tax", "total_gross"})
_NAMES = frozenset({"seller_name", "buyer_name"})
_CENT = Decimal("0.01")

CORPUS_FORMATS = {
    "ubl": DocumentFormat.UBL,
    "cii": DocumentFormat.CII,
    "facturx-pdf": DocumentFormat.HYBRID_PDF,
    "xml": DocumentFormat.XML_OTHER,
    "fatturapa": DocumentFormat.FATTURAPA,
    "fatturapa-simplified": DocumentFormat.FATTURAPA,
    "fatturapa-p7m": DocumentFormat.FATTURAPA,
    # the project's own generator (invoiceflow samples)
    "text-pdf": DocumentFormat.TEXT_PDF,
    "scan-image": DocumentFormat.IMAGE,
    "scan-pdf": DocumentFormat.SCANNED_PDF,
}

# The corpus names document types finer than our enum; everything not listed is OTHER.
_CORPUS_DOC_TYPES = {
    "invoice": DocType.INVOICE,
    "credit_note": DocType.CREDIT_NOTE,
    "debit_note": DocType.DEBIT_NOTE,
    "self_billed_invoice": DocType.SELF_BILLED_INVOICE,
    "purchase_order": DocType.PURCHASE_ORDER,
    "order_response": DocType.ORDER_RESPONSE,
    "despatch_advice": DocType.DESPATCH_ADVICE,
    "payment_reminder": DocType.REMINDER,
    "reminder": DocType.REMINDER,
    "account_statement": DocType.STATEMENT,
    "statement": DocType.STATEMENT,
    "remittance_advice": DocType.REMITTANCE_ADVICE,
    "receipt": DocType.RECEIPT,
    "unknown": DocType.UNKNOWN,
}

_TEXT_CHECKS = {"invoice_number": "invoice_number_in_text", "total_gross": "total_gross_in_text"}


@dataclass(frozen=True, slots=True)
class RowResult:
    """The outcome for one corpus document."""

    path: str
    expected_format: str
    format: str
    expected_doc_type: str
    doc_type: str
    route: str
    extractor: str
    invalid: bool
    scored: tuple[tuple[str, bool], ...]
    mismatches: tuple[tuple[str, str, str], ...]
    reasons: tuple[str, ...]
    group: str = ""  # the report column: the format, with the generator's layout family ("text_pdf/hard")
    escalated: bool | None = None  # text reader only: whether the self-check sends the reading to paid extraction
    held_out_round: int | None = None  # a held-out layout's round in the generator (each measured apart)

    @property
    def column(self) -> str:
        """The column the row is counted in."""
        return self.group or self.expected_format


@dataclass(frozen=True, slots=True)
class SelfCheck:
    """What the self-check made of the text reader's readings: accepted or sent on, and key fields wrong in each."""

    accepted: int
    accepted_fields: int
    accepted_wrong: int
    sent: int
    sent_fields: int
    sent_wrong: int

    @staticmethod
    def of(rows: tuple[RowResult, ...] | list[RowResult]) -> SelfCheck:
        """Count the valid rows the text reader read, by the self-check's decision."""
        def side(escalated: bool) -> tuple[int, int, int]:
            chosen = [r for r in rows if r.escalated is escalated and not r.invalid]
            fields = [ok for r in chosen for _, ok in r.scored]
            return len(chosen), len(fields), fields.count(False)

        return SelfCheck(*side(False), *side(True))


@dataclass(frozen=True, slots=True)
class FormatScore:
    """Counts of correct answers for one format (or all), per metric: ``{metric: (correct, total)}``."""

    format: str
    rows: int
    paid: int
    counts: tuple[tuple[str, int, int], ...]

    def accuracy(self, metric: str) -> float | None:
        """Return the share correct for a metric, or None when nothing was scored."""
        for name, correct, total in self.counts:
            if name == metric:
                return correct / total if total else None
        return None


@dataclass(frozen=True, slots=True)
class EvalReport:
    """The whole evaluation: valid rows by format, all valid rows, and the invalid rows apart."""

    root: str
    text_only: bool
    by_format: tuple[FormatScore, ...]
    overall: FormatScore
    invalid: FormatScore
    rows: tuple[RowResult, ...]

    def self_check(self, column: str | None = None) -> SelfCheck:
        """The self-check's figures over all text-read rows, or those of one column."""
        return SelfCheck.of([r for r in self.rows if column is None or r.column == column])

    def held_out_rounds(self) -> dict[int, tuple[int, int, SelfCheck]]:
        """Per round of held-out layouts: key fields right, key fields scored, and the self-check's figures."""
        out: dict[int, tuple[int, int, SelfCheck]] = {}
        for number in sorted({r.held_out_round for r in self.rows if r.held_out_round is not None}):
            rows = [r for r in self.rows if r.held_out_round == number and not r.invalid]
            scored = [ok for r in rows for _, ok in r.scored]
            out[number] = (sum(scored), len(scored), SelfCheck.of(rows))
        return out

    @property
    def paid_share(self) -> float:
        """Share of all documents routed to paid extraction (route ocr)."""
        total = self.overall.rows + self.invalid.rows
        return (self.overall.paid + self.invalid.paid) / total if total else 0.0


def expected_doc_type(row: dict[str, Any]) -> DocType:
    """Our DocType for a corpus row (type code 389 is a self-billed invoice whatever the row's label)."""
    label = str(row.get("doc_type") or "unknown")
    if label == "invoice" and str(row.get("type_code") or "") == "389":
        return DocType.SELF_BILLED_INVOICE
    return _CORPUS_DOC_TYPES.get(label, DocType.OTHER)


def iter_truth(root: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Yield ``(document path, truth row)`` for every row of every truth.jsonl under `root`, sorted."""
    for truth in sorted(root.rglob("truth.jsonl")):
        for line in truth.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                yield truth.parent / str(row["file"]), row


def _cents(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def _ours(invoice: InvoiceData | None, name: str) -> Any:
    if invoice is None:
        return None
    values: dict[str, Any] = {
        "invoice_number": invoice.invoice_number,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency,
        "seller_name": invoice.seller.name,
        "buyer_name": invoice.buyer.name,
        "total_net": invoice.total_net,
        "total_tax": invoice.total_tax,
        "total_gross": invoice.amount_due,
        "line_count": len(invoice.lines),
    }
    return values[name]


def _normalise(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _AMOUNTS:
        return _cents(value)
    if name in _NAMES:
        return " ".join(str(value).split())
    if name == "line_count":
        return int(value)
    return str(value).strip()


def _fields_to_score(row: dict[str, Any], text_only: bool) -> tuple[str, ...]:
    if not text_only:
        return KEY_FIELDS
    check = row.get("text_check") or {}
    return tuple(f for f in KEY_FIELDS if f not in _TEXT_CHECKS or check.get(_TEXT_CHECKS[f]) is True)


def field_results(invoice: InvoiceData | None, row: dict[str, Any]) -> list[tuple[str, bool, str, str]]:
    """Each key field of a reading against its truth row: (field, right, expected, got)."""
    out: list[tuple[str, bool, str, str]] = []
    for name in KEY_FIELDS:
        want, got = _normalise(name, row.get(name)), _normalise(name, _ours(invoice, name))
        out.append((name, want == got, str(want), str(got)))
    return out


def evaluate_row(
    path: Path, row: dict[str, Any], limits: DetectLimits, text_only: bool, root: Path | None = None,
    policy: TenantPolicy | None = None,
) -> RowResult:
    """Run detect + extract on one document and compare with its truth row (path shown relative to root).

    A text reading is put to the self-check of `policy` (the built-in default policy when None)."""
    content = path.read_bytes() if path.is_file() else b""
    detection = detect(content, limits, ignore_embedded_xml=text_only)
    extraction = extract_local(detection, content)
    expected = expected_doc_type(row)
    expected_format = CORPUS_FORMATS.get(str(row.get("format")), DocumentFormat.UNSUPPORTED)
    if text_only and expected_format is DocumentFormat.HYBRID_PDF:
        expected_format = DocumentFormat.TEXT_PDF
    scored: list[tuple[str, bool]] = []
    mismatches: list[tuple[str, str, str]] = []
    if expected in INVOICE_LIKE and row.get("fields_labelled", True) is not False:
        for name in _fields_to_score(row, text_only):
            want = _normalise(name, row.get(name))
            got = _normalise(name, _ours(extraction.invoice, name))
            scored.append((name, want == got))
            if want != got:
                mismatches.append((name, str(want), str(got)))
    escalated = None
    if extraction.extractor == "text":
        policy = policy or load_policy_book(None).default
        escalated = escalation_reason(extraction.invoice, extraction.reasons, policy) is not None
    family = row.get("layout_family")
    if family and row.get("held_out_layout"):
        family = f"{family}/held-out"  # layouts no one tuned the reader for: a column of their own
    return RowResult(
        path=str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else str(path),
        expected_format=expected_format.value,
        format=detection.format.value,
        expected_doc_type=expected.value,
        doc_type=detection.doc_type.value,
        route=(extraction.route or detection.route).value,  # a reader may find an e-invoice invalid
        extractor=extraction.extractor,
        invalid=bool(row.get("invalid")),
        scored=tuple(scored),
        mismatches=tuple(mismatches),
        reasons=tuple(r.code for r in detection.reasons + extraction.reasons),
        group=f"{expected_format.value}/{family}" if family else "",
        escalated=escalated,
        held_out_round=int(row.get("held_out_round", 0)) if row.get("held_out_layout") else None,
    )


def _score(name: str, rows: list[RowResult]) -> FormatScore:
    counts = [
        ("doc_type", sum(r.doc_type == r.expected_doc_type for r in rows), len(rows)),
        ("format", sum(r.format == r.expected_format for r in rows), len(rows)),
    ]
    for field in KEY_FIELDS:
        results = [ok for r in rows for f, ok in r.scored if f == field]
        counts.append((field, sum(results), len(results)))
    paid = sum(r.route == Route.OCR.value for r in rows)
    return FormatScore(format=name, rows=len(rows), paid=paid, counts=tuple(counts))


def run_eval(
    root: Path | Sequence[Path], text_only: bool = False, limits: DetectLimits | None = None
) -> EvalReport:
    """Evaluate every labelled document under `root` (or under each of several roots).

    Args:
        root: A directory holding ``truth.jsonl`` files (at any depth) beside their documents, or several;
            with several, each row's path starts with its root's folder name.
        text_only: Read hybrid PDFs through their visible text, ignoring the embedded XML; only PDF rows
            are evaluated then, and only on the values their ``text_check`` says are visible.
        limits: Detection limits; the defaults of `Settings` when None.

    Returns:
        The report (see `tools.eval_report` for the table and JSON renderings).
    """
    limits = limits or DetectLimits()
    roots = [root] if isinstance(root, Path) else list(root)
    policy = load_policy_book(None).default
    rows = [
        evaluate_row(path, row, limits, text_only, base if len(roots) == 1 else base.parent, policy)
        for base in roots
        for path, row in iter_truth(base)
        if not text_only or str(row.get("format", "")).endswith("pdf")
    ]
    valid = [r for r in rows if not r.invalid]
    columns = sorted({r.column for r in valid})
    return EvalReport(
        root=", ".join(str(r) for r in roots),
        text_only=text_only,
        by_format=tuple(_score(c, [r for r in valid if r.column == c]) for c in columns),
        overall=_score("all", valid),
        invalid=_score("invalid", [r for r in rows if r.invalid]),
        rows=tuple(rows),
    )
