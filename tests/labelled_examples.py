"""Test-data builder for labelled examples: a vendor's invoices with the values a reviewer confirmed.

Where the review flow (corrections stored from `invoices.reviewed`) and training meet in tests: rows of
`tools.samples.generate_vendor_series` (or `generate_samples`) become `LabelledExample`s, in memory
(`MemoryExamples`, an `ExampleSource`), as the `examples.jsonl` folder `invoiceflow train --examples` reads,
or as the corrections a reviewer sends (`reviewer_corrections`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from streams.training import FieldPosition, LabelledExample, TrainingBudget, vendor_key

LABELLED = ("invoice_number", "issue_date", "seller_vat_id", "total_incl_vat")


def confirmed_fields(row: Mapping[str, Any], names: Sequence[str] = LABELLED) -> dict[str, str]:
    """A truth row's values as a reviewer confirms them (ISO dates, amounts to the cent)."""
    out: dict[str, str] = {}
    for name in names:
        value = row.get(name)
        if value is not None:
            out[name] = f"{value:.2f}" if isinstance(value, float) else str(value)
    return out


def labelled_example(folder: Path, row: Mapping[str, Any], *, names: Sequence[str] = LABELLED,
                     positions: Mapping[str, FieldPosition] | None = None) -> LabelledExample:
    """One example from a truth row and its document in `folder`."""
    path = folder / str(row["file"])
    return LabelledExample(path.name, vendor_key(str(row.get("seller_vat_id") or "")), confirmed_fields(row, names),
                           content=path.read_bytes(), ref=path.as_uri(), positions=dict(positions or {}))


class MemoryExamples:
    """An `ExampleSource` over a list (every example is the one tenant's)."""

    def __init__(self, examples: Iterable[LabelledExample]) -> None:
        self.items = list(examples)
        self.over_budget = 0

    async def examples(self, tenant_id: str, vendor: str | None,
                       budget: TrainingBudget | None = None) -> Sequence[LabelledExample]:
        mine = [e for e in self.items if vendor is None or e.vendor == vendor][::-1]  # the last ones the newest
        kept = len(mine) if budget is None else budget.fitting([len(e.content or b"") for e in mine])
        self.over_budget = len(mine) - kept
        return mine[:kept][::-1]


def write_examples_jsonl(folder: Path, rows: Iterable[Mapping[str, Any]], names: Sequence[str] = LABELLED) -> Path:
    """`examples.jsonl` in `folder` (documents named relative to it), as `invoiceflow train --examples` reads."""
    path = folder / "examples.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            line = {"document": str(row["file"]), "vendor": str(row.get("seller_vat_id") or ""),
                    "fields": confirmed_fields(row, names)}
            fh.write(json.dumps(line) + "\n")
    return path


_REVIEW_NAMES = {"seller_vat_id": "seller.vat_id", "buyer_vat_id": "buyer.vat_id", "total_gross": "amount_due"}
_REVIEWED = ("invoice_number", "issue_date", "due_date", "seller_vat_id", "buyer_vat_id", "total_incl_vat",
             "total_net", "total_tax", "total_gross")


def reviewer_corrections(row: Mapping[str, Any]) -> dict[str, str]:
    """What a careful reviewer sets on an invoice the truth row describes: every trainable field it knows, under
    the names a review uses (`invoices.reviewed`)."""
    return {_REVIEW_NAMES.get(k, k): v for k, v in confirmed_fields(row, _REVIEWED).items()}
