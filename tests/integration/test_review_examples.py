"""`ReviewExamples` on the real PostgreSQL: the approving reviews a tenant stored, with their documents loaded
through the document loader, are what `invoiceflow train` trains on; a review whose document cannot be loaded
is left out and named, never the end of the run."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from schemas import DocumentRef
from streams.sinks import LabelledExample
from streams.sinks.reviews import PostgresReviews
from streams.training import ReviewExamples, TrainingBudget

pytestmark = pytest.mark.integration


def _stored(tenant: str, n: int, decision: str, ref: DocumentRef | None, vat: str) -> LabelledExample:
    return LabelledExample(
        tenant, f"inv-{n}", f"ev-{n}", ref.sha256 if ref else "0" * 64, f"sc-{n}", "azure:prebuilt-invoice",
        f"vat:{vat}", "review", 0.5, {"invoice_number": "WRONG", "seller.vat_id": vat, "currency": "EUR"},
        {"invoice_number": f"R-{n}", "total_incl_vat": "119.00"}, {}, decision, "ana",
        datetime(2026, 12, 1, n, tzinfo=UTC), document_json=ref.model_dump_json(exclude_none=True) if ref else None)


def _file(folder: Path, name: str, data: bytes) -> DocumentRef:
    path = folder / name
    path.write_bytes(data)
    return DocumentRef(uri=path.as_uri(), sha256=hashlib.sha256(data).hexdigest(), size=len(data), filename=name)


async def test_approving_reviews_with_loadable_documents_are_the_examples(
        settings: Settings, pool: Any, run_id: str, tmp_path: Path) -> None:
    tenant = f"rx-{run_id}"
    good = _file(tmp_path, "good.pdf", b"%PDF-good")
    other_seller = _file(tmp_path, "other.pdf", b"%PDF-other")
    gone = _file(tmp_path, "gone.pdf", b"%PDF-gone")
    (tmp_path / "gone.pdf").unlink()
    changed = _file(tmp_path, "changed.pdf", b"%PDF-before")
    (tmp_path / "changed.pdf").write_bytes(b"%PDF-after!")  # same size, other bytes
    outside = DocumentRef(uri="file:///etc/hostname", sha256="a" * 64, size=10)
    await PostgresReviews(pool).write_examples([
        _stored(tenant, 1, "approve", good, "DE111111111"), _stored(tenant, 2, "approve", other_seller, "FR222"),
        _stored(tenant, 3, "approve", gone, "DE111111111"), _stored(tenant, 4, "approve", changed, "DE111111111"),
        _stored(tenant, 5, "approve", outside, "DE111111111"), _stored(tenant, 6, "reject", good, "DE111111111"),
        _stored(tenant, 7, "approve", None, "DE111111111")])  # inline: no reference kept, nothing to load
    try:
        source = ReviewExamples(settings)
        (found,) = await source.examples(tenant, "DE111111111")
        assert (found.name, found.content, found.vendor) == ("good.pdf", b"%PDF-good", "DE111111111")
        assert found.fields == {"invoice_number": "R-1", "total_incl_vat": "119.00", "seller_vat_id": "DE111111111"}
        assert source.skipped == {"inv-3": "document_missing", "inv-4": "document_digest",
                                  "inv-5": "document_not_allowed"}
        every = await ReviewExamples(settings).examples(tenant, None)
        assert sorted(e.name for e in every) == ["good.pdf", "other.pdf"]
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM reviews WHERE tenant_id = $1", tenant)


async def test_a_budget_takes_the_newest_reviews_and_loads_nothing_beyond_it(
        settings: Settings, pool: Any, run_id: str, tmp_path: Path) -> None:
    tenant = f"rb-{run_id}"
    refs = {n: _file(tmp_path, f"d{n}.pdf", b"%PDF-" + b"x" * 95) for n in range(1, 6)}  # 100 bytes each
    (tmp_path / "d1.pdf").unlink()  # the oldest: were it loaded, it would be named as skipped
    await PostgresReviews(pool).write_examples([_stored(tenant, n, "approve", ref, "DE1") for n, ref in refs.items()])
    try:
        source = ReviewExamples(settings)
        found = await source.examples(tenant, None, TrainingBudget(examples=3, bytes=10_000, pages=500))
        assert sorted(e.name for e in found) == ["d3.pdf", "d4.pdf", "d5.pdf"]
        assert source.over_budget == 2 and source.skipped == {}
        found = await source.examples(tenant, None, TrainingBudget(examples=10, bytes=250, pages=500))
        assert sorted(e.name for e in found) == ["d4.pdf", "d5.pdf"] and source.over_budget == 3
        found = await source.examples(tenant, None)
        assert len(found) == 4 and source.skipped == {"inv-1": "document_missing"} and source.over_budget == 0
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM reviews WHERE tenant_id = $1", tenant)
