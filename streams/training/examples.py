"""Labelled examples: what a custom model is trained on, whoever made them.

A labelled example is one document (its bytes, or a reference the loader can read) with the field values a
person confirmed or corrected, and, when the reviewing tool knew them, where each value sits on the page.
`ReviewExamples`, what `invoiceflow train` uses by default, takes them from the reviews stored in PostgreSQL
(`invoices.reviewed`, stored by the review stage): every approving review tied to a document, its fields as
the reviewer left them (corrected, else as extracted: a field left alone was right), its document loaded
through the document loader (file roots, https checks, size and sha256 verified). For operators who label
elsewhere, `JsonlExamples` reads a folder's `examples.jsonl`:

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

from config.settings import Settings
from schemas import DocumentRef
from streams.documents import load_documents
from streams.errors import ConfigError, InvoiceflowError
from streams.fetch import DocumentFetcher
from streams.sinks.postgres import open_pool
from streams.sinks.reviews import ConfirmedReview, PostgresReviews

# A review's (extraction) field name -> ours, where the two differ.
_REVIEWED_AS = {"seller.vat_id": "seller_vat_id", "buyer.vat_id": "buyer_vat_id"}

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


def reviewed_example(review: ConfirmedReview, content: bytes, ref: DocumentRef) -> LabelledExample:
    """The labelled example an approving review makes: its trainable fields as the reviewer left them."""
    fields = {name: str(value) for key, value in review.fields.items()
              if (name := _REVIEWED_AS.get(key, key)) in TRAINABLE_FIELDS and value is not None and str(value)}
    vendor = str(review.fields.get("seller.vat_id") or "").replace(" ", "").upper()
    return LabelledExample(ref.filename or review.invoice_id, vendor, fields, content=content, ref=ref.uri)


class ReviewExamples:
    """The approving reviews stored in PostgreSQL, with their documents: what `invoiceflow train` uses by default.

    A review whose document cannot be loaded (gone, moved outside the file roots, changed since) is left out and
    named in `skipped` (invoice id -> the loader's error code), never the run's end.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.skipped: dict[str, str] = {}

    async def examples(self, tenant_id: str, vendor: str | None) -> Sequence[LabelledExample]:
        pool = await open_pool(self.settings.postgres_dsn.get_secret_value(), 1)
        try:
            confirmed = await PostgresReviews(pool).confirmed(tenant_id, vendor)
        finally:
            await pool.close()
        refs = [DocumentRef.model_validate_json(r.document_json) for r in confirmed]
        fetcher = DocumentFetcher(self.settings)
        try:
            loaded = await load_documents(refs, self.settings, fetcher)
        finally:
            await fetcher.aclose()
        found: list[LabelledExample] = []
        for review, ref, got in zip(confirmed, refs, loaded, strict=True):
            if isinstance(got, InvoiceflowError):
                self.skipped[review.invoice_id] = got.code
            else:
                found.append(reviewed_example(review, got, ref))
        return found
