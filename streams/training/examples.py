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
from dataclasses import dataclass, field, replace
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


# Document Intelligence's limits on what one model trains on, per build mode: (pages, bytes)
SERVICE_LIMITS: Mapping[str, tuple[int, int]] = {"template": (500, 50 << 20), "neural": (50_000, 1 << 30)}


@dataclass(frozen=True, slots=True)
class TrainingBudget:
    """How much one training run takes: at most `examples` labelled examples, `bytes` of documents and `pages`
    pages; the newest examples first, so a tenant with years of reviews trains on the recent ones and no run
    holds more documents in memory than the service would take."""

    examples: int
    bytes: int
    pages: int

    @classmethod
    def for_mode(cls, mode: str, max_examples: int) -> TrainingBudget:
        """The budget of a build mode: the service's page and byte limits for it, and `max_examples`."""
        pages, size = SERVICE_LIMITS.get(mode, SERVICE_LIMITS["template"])
        return cls(max_examples, size, pages)

    def fitting(self, sizes: Sequence[int]) -> int:
        """How many of the documents of `sizes` (newest first) fit the example count and byte budget."""
        total = 0
        for taken, size in enumerate(sizes[: self.examples]):
            total += size
            if total > self.bytes:
                return taken
        return min(len(sizes), self.examples)


class ExampleSource(Protocol):
    """Where `invoiceflow train` takes a tenant's labelled examples from."""

    over_budget: int
    """How many examples the last call left out because the budget was spent (the oldest)."""

    async def examples(self, tenant_id: str, vendor: str | None,
                       budget: TrainingBudget | None = None) -> Sequence[LabelledExample]: ...


def _position(raw: object, where: str) -> FieldPosition:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("polygon"), list) or len(raw["polygon"]) != 8:
        raise ConfigError(f"{where}: a position is {{\"page\": n, \"polygon\": [8 numbers from 0 to 1]}}")
    return FieldPosition(int(raw.get("page", 1)), tuple(float(v) for v in raw["polygon"]))


class JsonlExamples:
    """`examples.jsonl` in a folder (documents named relative to it); every line is for the one tenant run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.over_budget = 0

    async def examples(self, tenant_id: str, vendor: str | None,
                       budget: TrainingBudget | None = None) -> Sequence[LabelledExample]:
        """The examples of the file, in its order (the last lines taken as the newest: within `budget` the
        last ones are kept)."""
        path = self.folder / "examples.jsonl"
        if not path.is_file():
            raise ConfigError(f"no examples.jsonl in {self.folder}")
        listed = self._listed(path, vendor)[::-1]  # newest first
        kept = len(listed) if budget is None else budget.fitting([size for _, _, _, size in listed])
        self.over_budget = len(listed) - kept
        found = []
        for example, doc, where, _ in reversed(listed[:kept]):  # in the file's order; only these are read
            try:
                content = doc.read_bytes()
            except OSError as exc:
                raise ConfigError(f"{where}: {type(exc).__name__}: {exc}") from exc
            found.append(replace(example, content=content))
        return found

    def _listed(self, path: Path, vendor: str | None) -> list[tuple[LabelledExample, Path, str, int]]:
        """Each line's example of `vendor` (its document not read yet), its document, where it was written,
        its size."""
        found: list[tuple[LabelledExample, Path, str, int]] = []
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
                                          ref=doc.as_uri(), positions=positions)
                size = doc.stat().st_size
            except (KeyError, TypeError, ValueError, OSError) as exc:
                raise ConfigError(f"{where}: {type(exc).__name__}: {exc}") from exc
            if vendor is None or example.vendor == vendor:
                found.append((example, doc, where, size))
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
        self.over_budget = 0

    async def examples(self, tenant_id: str, vendor: str | None,
                       budget: TrainingBudget | None = None) -> Sequence[LabelledExample]:
        """The newest approving reviews within `budget` (sizes as their references state them, so nothing over
        it is ever loaded), with their documents."""
        pool = await open_pool(self.settings.postgres_dsn.get_secret_value(), 1)
        try:
            confirmed, total = await PostgresReviews(pool).confirmed(
                tenant_id, vendor, None if budget is None else budget.examples)
        finally:
            await pool.close()
        refs = [DocumentRef.model_validate_json(r.document_json) for r in confirmed]
        if budget is not None:
            kept = budget.fitting([ref.size for ref in refs])
            confirmed, refs = confirmed[:kept], refs[:kept]
        self.over_budget = total - len(confirmed)
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
