"""`invoiceflow simulate learning`: how much reviewed text PDFs teach the extract stage, measured.

Sellers each send a series of text-PDF invoices in one of the hard layouts (`tools.samples.generate_hard_series`).
For k = 0, 1, 3, 5 the first k invoices of every seller are reviewed: the reviewer's corrections are the truth
values, and they go through the code the review stage runs (`agents.layouts.learn_from_review`, each one a new
layout version). Every seller's later invoices (the same ones for every k) are then read as the extract stage
reads them (`agents.extract.extract_local` with the tenant's layouts) and put to the default policy's
self-check. The table gives, per k, the key fields right on those invoices, the share the self-check
would still send to paid extraction, and how many it would accept with a key field wrong.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.detect import DetectLimits, detect
from agents.extract import extract_local
from agents.layouts import VendorLayout, learn_from_review
from agents.paid import escalation_reason
from config.policy import load_policy_book
from schemas import extracted_fields
from tools.evaluate import field_results
from tools.samples import generate_hard_series

__all__ = ["LearningRow", "render_learning", "simulate_learning"]

STEPS = (0, 1, 3, 5)
_TENANT = "simulation"
# truth row column -> correction name
_TRUTH = {"invoice_number": "invoice_number", "issue_date": "issue_date", "due_date": "due_date",
          "currency": "currency", "seller_name": "seller.name", "seller_vat_id": "seller.vat_id",
          "seller_iban": "seller_iban", "total_net": "total_net", "total_tax": "total_tax",
          "total_incl_vat": "total_incl_vat", "total_gross": "amount_due"}


@dataclass(frozen=True, slots=True)
class LearningRow:
    """One k: how the later invoices read with the layouts learned from each seller's first k reviews."""

    k: int
    invoices: int
    fields_right: int
    fields: int
    paid: int
    layout_reads: int
    accepted_wrong: int = 0  # invoices the self-check accepted (no paid extraction) with a key field wrong

    @property
    def accuracy(self) -> float:
        return self.fields_right / self.fields if self.fields else 0.0

    @property
    def paid_share(self) -> float:
        return self.paid / self.invoices if self.invoices else 0.0


def _corrections(row: dict[str, Any], extracted: dict[str, Any]) -> dict[str, Any]:
    """What a reviewer who knows the truth corrects: every field read wrong (or not read)."""
    out: dict[str, Any] = {}
    for column, name in _TRUTH.items():
        want = row.get(column)
        if want is None:
            continue
        if str(extracted.get(name)) != str(want):
            out[name] = f"{want:.2f}" if isinstance(want, float) else want
    return out


def simulate_learning(sellers: int, per_seller: int, seed: int = 0, folder: Path | None = None) -> list[LearningRow]:
    """Run the simulation; `per_seller` must leave invoices after the last k (at least max(k) + 1)."""
    if per_seller <= max(STEPS):
        raise ValueError(f"--invoices-per-seller must be more than {max(STEPS)}")
    with tempfile.TemporaryDirectory() as tmp:
        root = folder or Path(tmp)
        rows = generate_hard_series(root, sellers, per_seller, seed=seed)
        limits, policy = DetectLimits(), load_policy_book(None).default
        by_seller: dict[int, list[tuple[bytes, dict[str, Any]]]] = {}
        for row in rows:
            document = (root / str(row["file"])).read_bytes()
            by_seller.setdefault(int(str(row["seller_index"])), []).append((document, row))
        out: list[LearningRow] = []
        for k in STEPS:
            layouts: dict[str, VendorLayout] = {}
            for series in by_seller.values():
                for content, row in series[:k]:
                    _review(content, row, limits, layouts)
            out.append(_measure(k, by_seller, tuple(layouts.values()), limits, policy))
        return out


def _review(content: bytes, row: dict[str, Any], limits: DetectLimits, layouts: dict[str, VendorLayout]) -> None:
    """One reviewed invoice: read as the stages read it, corrected to the truth, learned from."""
    local = extract_local(detect(content, limits), content, tuple(layouts.values()))
    read = extracted_fields(local.invoice).model_dump(mode="json", exclude_none=True) if local.invoice else {}
    learned = learn_from_review(content, read, _corrections(row, read), _TENANT, layouts)
    if learned is not None:
        layouts[learned.vendor] = learned


def _measure(k: int, by_seller: dict[int, list[tuple[bytes, dict[str, Any]]]], layouts: tuple[VendorLayout, ...],
             limits: DetectLimits, policy: Any) -> LearningRow:
    invoices = right = fields = paid = laid = wrong = 0
    for series in by_seller.values():
        for content, row in series[max(STEPS):]:
            local = extract_local(detect(content, limits), content, layouts)
            results = field_results(local.invoice, row)
            invoices += 1
            fields += len(results)
            right += sum(ok for _, ok, _, _ in results)
            pays = escalation_reason(local.invoice, local.reasons, policy) is not None
            paid += pays
            wrong += not pays and not all(ok for _, ok, _, _ in results)
            laid += local.extractor.startswith("text+layout")
    return LearningRow(k, invoices, right, fields, paid, laid, wrong)


def render_learning(rows: list[LearningRow], sellers: int, per_seller: int, seed: int, as_json: bool = False) -> str:
    """The table (or JSON lines) `invoiceflow simulate learning` prints."""
    if as_json:
        return "\n".join(json.dumps({"k": r.k, "invoices": r.invoices, "accuracy": round(r.accuracy, 4),
                                     "paid_share": round(r.paid_share, 4), "read_with_layout": r.layout_reads,
                                     "accepted_wrong": r.accepted_wrong})
                         for r in rows)
    later = max(STEPS)
    lines = [f"{sellers} sellers x {per_seller} hard-layout text PDFs (seed {seed}); measured on each seller's "
             f"invoices {later + 1}..{per_seller}",
             f"{'reviewed per seller (k)':>24}  {'key fields right':>22}  {'paid share':>18}  {'read with layout':>16}"
             f"  {'accepted wrong':>14}"]
    for r in rows:
        lines.append(f"{r.k:>24}  {f'{r.accuracy:.1%} ({r.fields_right}/{r.fields})':>22}  "
                     f"{f'{r.paid_share:.1%} ({r.paid}/{r.invoices})':>18}  {r.layout_reads:>16}"
                     f"  {r.accepted_wrong:>14}")
    return "\n".join(lines)
