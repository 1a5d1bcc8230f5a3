"""Scoring real e-invoices from ../shared/corpus under the built-in policy.

Valid e-invoices must be auto-approved unless a finding says why not, and every finding that holds one
back must be a rule whose action caps or forces the decision; rows the corpus flags invalid must never be
auto-approved; documents that are not invoices are rejected; the same invoice in UBL and CII has a common
business key (the cross-format duplicate check).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from agents.detect import detect
from agents.extract import extract_local
from agents.readers._detection import DetectLimits
from agents.readers.cii import read_cii
from agents.readers.ubl import read_ubl
from agents.score import ScoreContext, ScoreResult, action_for, business_keys, score
from config.policy import TenantPolicy, load_policy_book
from schemas import INVOICE_LIKE, Decision, DocType, DocumentFormat, DocumentRef, InvoiceData, InvoiceExtracted, Route

NOW = datetime(2025, 6, 1, tzinfo=UTC)
NEUTRAL = ScoreContext(vendor_known=True)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class Scored:
    name: str
    row: dict[str, Any]
    invoice: InvoiceData
    result: ScoreResult


def _rows(corpus: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for truth in sorted(corpus.glob("*/truth.jsonl")):
        for line in truth.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield truth.parent, json.loads(line)


def _read(path: Path, fmt: str) -> InvoiceData:
    root = etree.parse(str(path), _PARSER).getroot()
    return read_ubl(root) if fmt == "ubl" else read_cii(root)


@pytest.fixture(scope="module")
def policy() -> TenantPolicy:
    return load_policy_book(None).default


@pytest.fixture(scope="module")
def scored(corpus: Path, policy: TenantPolicy) -> list[Scored]:
    out: list[Scored] = []
    for folder, row in _rows(corpus):
        if row.get("format") not in ("ubl", "cii"):
            continue
        invoice = _read(folder / row["file"], row["format"])
        extracted = InvoiceExtracted(
            event_id=f"ev-{row['sha256'][:12]}",
            invoice_id=f"inv-{row['sha256'][:12]}",
            tenant_id="corpus",
            received_at=NOW,
            extracted_at=NOW,
            document=DocumentRef(uri=f"file://{folder / row['file']}", sha256=row["sha256"], size=row["bytes"]),
            format=DocumentFormat(row["format"]),
            route=Route.STRUCTURED,
            extractor=row["format"],
            invoice=invoice,
        )
        out.append(Scored(f"{folder.name}/{row['file']}", row, invoice, score(extracted, policy, NEUTRAL, NOW)))
    assert len(out) > 200, "the corpus shrank: check ../shared/corpus"
    return out


@pytest.fixture(scope="module")
def hybrids(corpus: Path, policy: TenantPolicy) -> list[Scored]:
    """The hybrid PDFs through the real detect and local extract cores, then scored."""
    out: list[Scored] = []
    for folder, row in _rows(corpus):
        if row.get("format") != "facturx-pdf":
            continue
        content = (folder / row["file"]).read_bytes()
        detection = detect(content, DetectLimits())
        local = extract_local(detection, content)
        assert local.invoice is not None, row["file"]
        extracted = InvoiceExtracted(
            event_id="ev", invoice_id="inv", tenant_id="corpus", received_at=NOW, extracted_at=NOW,
            document=DocumentRef(uri="file:///x.pdf", sha256=row["sha256"], size=len(content)),
            format=DocumentFormat.HYBRID_PDF, route=detection.route, extractor=local.extractor,
            invoice=local.invoice, reasons=local.reasons,
        )
        out.append(Scored(f"{folder.name}/{row['file']}", row, local.invoice, score(extracted, policy, NEUTRAL, NOW)))
    assert len(out) > 100
    return out


def _holds_back(result: ScoreResult, policy: TenantPolicy) -> list[str]:
    """The reasons whose action caps or forces the decision (the explanation of a non-approval)."""
    return [r.code for r in result.reasons if action_for(r.code, policy) in ("review", "reject")]


def test_valid_invoices_are_auto_approved_unless_a_rule_says_why_not(
    scored: list[Scored], policy: TenantPolicy
) -> None:
    valid = [s for s in scored if not s.row.get("invalid") and s.row["doc_type"] == "invoice"]
    assert len(valid) > 150
    unexplained = [s.name for s in valid if s.result.decision is not Decision.AUTO_APPROVE
                   and not _holds_back(s.result, policy)]
    assert unexplained == []
    clean = [s for s in valid if not s.result.reasons]
    assert clean, "no valid e-invoice passes every rule: the default policy is too strict"
    assert all(s.result.decision is Decision.AUTO_APPROVE for s in clean)
    # what holds valid corpus invoices back is test data (placeholder VAT ids and IBANs) and real findings
    held = Counter(code for s in valid for code in set(_holds_back(s.result, policy)))
    assert set(held) <= {
        "vat_id_invalid", "iban_invalid", "seller_unidentified", "amount_over_limit", "credit_note",
        "missing_field", "due_before_issue", "line_total_mismatch", "net_total_mismatch", "tax_rate_mismatch",
        "tax_total_mismatch", "tax_base_mismatch", "total_incl_vat_mismatch", "amount_due_mismatch",
    }, held


def test_rows_flagged_invalid_are_never_auto_approved(scored: list[Scored], policy: TenantPolicy) -> None:
    invalid = [s for s in scored if s.row.get("invalid")]
    assert len(invalid) >= 10
    approved = [s.name for s in invalid if s.result.decision is Decision.AUTO_APPROVE]
    assert approved == []
    assert all(_holds_back(s.result, policy) for s in invalid)


def test_documents_that_are_not_invoices_are_rejected(scored: list[Scored]) -> None:
    others = [s for s in scored if s.invoice.doc_type not in INVOICE_LIKE and s.invoice.doc_type is not DocType.UNKNOWN]
    assert len(others) > 30
    assert {s.result.decision for s in others} == {Decision.REJECT}
    assert all([r.code for r in s.result.reasons] == ["not_invoice"] for s in others)


def test_credit_notes_are_never_auto_approved_under_the_default_policy(scored: list[Scored]) -> None:
    credits = [s for s in scored if s.invoice.doc_type is DocType.CREDIT_NOTE]
    assert credits
    assert all("credit_note" in [r.code for r in s.result.reasons] for s in credits)
    assert Decision.AUTO_APPROVE not in {s.result.decision for s in credits}


def test_the_same_invoice_in_ubl_and_cii_shares_a_business_key(scored: list[Scored]) -> None:
    by_pair: dict[str, list[Scored]] = {}
    for s in scored:
        if s.row.get("pair_key"):
            by_pair.setdefault(s.row["pair_key"], []).append(s)
    pairs = [group for group in by_pair.values() if len({s.row["format"] for s in group}) > 1]
    assert len(pairs) >= 30
    for group in pairs:
        common = set.intersection(*(set(business_keys(s.invoice)) for s in group))
        assert common, [s.name for s in group]


def test_copies_the_corpus_calls_the_same_invoice_are_found_as_duplicates(scored: list[Scored]) -> None:
    keys = {s.name: set(business_keys(s.invoice)) for s in scored}
    links = [(s.name, other) for s in scored for other in s.row.get("same_invoice_as") or () if other in keys]
    assert len(links) > 100
    found = sum(1 for a, b in links if keys[a] & keys[b])
    assert found / len(links) >= 0.95  # the rest name their seller differently (trading vs legal name)


def test_hybrid_pdfs_score_like_their_xml_and_match_their_siblings(
    hybrids: list[Scored], scored: list[Scored], policy: TenantPolicy
) -> None:
    valid = [s for s in hybrids if not s.row.get("invalid")]
    assert [s.name for s in valid if s.result.decision is not Decision.AUTO_APPROVE
            and not _holds_back(s.result, policy)] == []
    assert any(s.result.decision is Decision.AUTO_APPROVE for s in valid)
    xml_keys = {s.name: set(business_keys(s.invoice)) for s in scored}
    links = [(s, other) for s in hybrids for other in s.row.get("same_invoice_as") or () if other in xml_keys]
    assert len(links) > 20
    found = sum(1 for s, other in links if set(business_keys(s.invoice)) & xml_keys[other])
    assert found / len(links) >= 0.95
