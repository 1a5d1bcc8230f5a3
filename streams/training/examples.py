"""Labelled examples: what a custom model is trained on, whoever made them.

A labelled example is one document (its bytes, or a reference the loader can read) with the field values a
person confirmed or corrected, and, when the reviewing tool knew them, where each value sits on the page. The
review flow (issue 15's `invoices.reviewed`, stored in PostgreSQL) will be one `ExampleSource`; until then,
and for operators who label elsewhere, `JsonlExamples` reads a folder's `examples.jsonl`:

    {"document": "scan-001.pdf", "vendor": "DE123456789",
     "fields": {"invoice_number": "R-1", "issue_date": "2026-01-31", "total_incl_vat": "119.00"},
     "positions": {"total_incl_vat": {"page": 1, "polygon": [0.71, 0.62, 0.80, 0.62, 0.80, 0.64, 0.71, 0.64]}}}

Field names are the contract's (`TRAINABLE_FIELDS`); values are normalised (ISO dates, plain decimals);
positions, when given, are polygons normalised to the page (0..1, clockwise from top left).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from streams.errors import ConfigError

# Our field name -> (the Document Intelligence field key it is labelled as, its fields.json type). The keys are
# prebuilt-invoice's, so a custom model's answer maps through the same reader as prebuilt's.
TRAINABLE_FIELDS: Mapping[str, tuple[str, str]] = {
    "invoice_number": ("InvoiceId", "string"),
    "issue_date": ("InvoiceDate", "date"),
    "due_date": ("DueDate", "date"),
    "seller_vat_id": ("VendorTaxId", "string"),
    "buyer_vat_id": ("CustomerTaxId", "string"),
    "total_incl_vat": ("InvoiceTotal", "number"),
    "amount_due": ("AmountDue", "number"),
    "total_net": ("SubTotal", "number"),
    "total_tax": ("TotalTax", "number"),
}


@dataclass(frozen=True, slots=True)
class FieldPosition:
    """Where a value sits: a page (from 1) and a polygon normalised to that page (x1, y1, ... x4, y4)."""

    page: int
    polygon: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """One document and its confirmed field values (and their positions, when known)."""

    name: str
    vendor: str
    fields: Mapping[str, str]
    content: bytes | None = None
    ref: str | None = None
    positions: Mapping[str, FieldPosition] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content or b"").hexdigest()


class ExampleSource(Protocol):
    """Where `invoiceflow train` takes a tenant's labelled examples from."""

    async def examples(self, tenant_id: str, vendor: str | None) -> Sequence[LabelledExample]: ...


def _position(raw: object, where: str) -> FieldPosition:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("polygon"), list) or len(raw["polygon"]) != 8:
        raise ConfigError(f"{where}: a position is {{\"page\": n, \"polygon\": [8 numbers from 0 to 1]}}")
    return FieldPosition(int(raw.get("page", 1)), tuple(float(v) for v in raw["polygon"]))


class JsonlExamples:
    """`examples.jsonl` in a folder (documents named relative to it); every line is for the one tenant run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def examples(self, tenant_id: str, vendor: str | None) -> Sequence[LabelledExample]:
        path = self.folder / "examples.jsonl"
        if not path.is_file():
            raise ConfigError(f"no examples.jsonl in {self.folder}")
        found: list[LabelledExample] = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name} line {n}"
            try:
                row = json.loads(line)
                doc = self.folder / str(row["document"])
                fields = {str(k): str(v) for k, v in dict(row["fields"]).items()}
                positions = {str(k): _position(v, where) for k, v in dict(row.get("positions", {})).items()}
                example = LabelledExample(doc.name, str(row.get("vendor", "")).replace(" ", "").upper(), fields,
                                          content=doc.read_bytes(), ref=doc.as_uri(), positions=positions)
            except (KeyError, TypeError, ValueError, OSError) as exc:
                raise ConfigError(f"{where}: {type(exc).__name__}: {exc}") from exc
            if vendor is None or example.vendor == vendor:
                found.append(example)
        return found
