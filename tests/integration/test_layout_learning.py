"""Vendor layouts on the real stack: a review of a text PDF through the review stage teaches the seller's layout
(stored in PostgreSQL), and the seller's next invoice is read with it by the extract stage, locally; whether the
review carries the file (`invoiceflow review --document`) or names only the invoice (the dashboard, the CLI
without a file: the record's document reference ties it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from schemas import InvoiceScored
from streams.admin import ensure_topics
from streams.publisher import received_for_file
from streams.topics import topic_name
from tests.integration import test_service
from tests.integration.conftest import env_for
from tests.integration.kafka_helpers import collect, produce
from tools.samples import generate_hard_series

pytestmark = pytest.mark.integration

api = test_service.api  # the running service, with a token per tenant

REPO = Path(__file__).resolve().parents[2]
_SPLIT_NAME = 13  # the seller's name broken over two lines: the generic reader misses it


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env=env_for(settings))


async def _scored(settings: Settings, tenant: str, path: Path, after: int = 0) -> tuple[Any, InvoiceScored]:
    received = received_for_file(path, tenant, settings)
    await produce(settings, topic_name(settings, "invoices.received"),
                  [(received.invoice_id.encode(), received.model_dump_json().encode())])
    recs = await collect(settings, topic_name(settings, "invoices.scored"),
                         lambda rs: any(InvoiceScored.model_validate_json(r.value).invoice_id == received.invoice_id
                                        for r in rs), timeout_s=120)
    found = next(s for s in (InvoiceScored.model_validate_json(r.value) for r in recs)
                 if s.invoice_id == received.invoice_id)
    return received, found


async def _layout(pool: Any, tenant: str, timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT vendor, version, layout::text AS layout FROM vendor_layouts "
                                      "WHERE tenant_id = $1", tenant)
        if row is not None:
            return row
        await asyncio.sleep(0.2)
    raise AssertionError("no vendor layout learned")


async def _reviewed_then_read(settings: Settings, pool: Any, tenant: str, worker_factory: Any, tmp_path: Path,
                              send_review: Callable[[str, dict[str, Any], Path], Awaitable[None]]) -> None:
    """A seller's first text PDF is read generically and reviewed (by `send_review`); its layout is learned and
    its second invoice is read with it, locally."""
    rows = generate_hard_series(tmp_path, _SPLIT_NAME + 1, 2, seed=9, base_date=date(2026, 6, 1))
    first, second = [r for r in rows if r["seller_index"] == _SPLIT_NAME]
    await ensure_topics(settings)
    worker_factory("detect,extract,score,aggregate,review", INVOICEFLOW_VENDOR_LAYOUTS_REFRESH_S="0.5")
    try:
        received, before = await _scored(settings, tenant, tmp_path / str(first["file"]))
        assert before.extractor == "text"  # no layout yet (and no paid extractor configured)
        assert before.invoice is not None and before.invoice.seller.name != first["seller_name"]
        assert before.document == received.document  # carried to the record, which ties reviews to it

        deadline = time.monotonic() + 60  # the review needs the invoice recorded first
        while time.monotonic() < deadline:
            async with pool.acquire() as conn:
                if await conn.fetchval("SELECT 1 FROM invoices WHERE tenant_id = $1", tenant):
                    break
            await asyncio.sleep(0.2)
        await send_review(received.invoice_id, first, tmp_path / str(first["file"]))
        layout = await _layout(pool, tenant)
        assert layout["version"] == 1 and layout["vendor"] == str(first["seller_vat_id"]).replace(" ", "").upper()
        assert first["seller_name"] in layout["layout"]
        async with pool.acquire() as conn:
            tied = await conn.fetchval("SELECT document->>'uri' FROM reviews WHERE tenant_id = $1", tenant)
        assert tied == received.document.uri  # the example keeps the document it was tied to

        _, after = await _scored(settings, tenant, tmp_path / str(second["file"]))
        assert after.extractor == "text+layout:v1"
        assert after.invoice is not None
        assert after.invoice.seller.name == second["seller_name"]
        assert after.invoice.invoice_number == second["invoice_number"] != first["invoice_number"]
        assert after.invoice.confidence["seller.name"] >= 0.97
        assert after.cost.usd == 0  # read locally: nothing paid
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM vendor_layouts WHERE tenant_id = $1", tenant)
            await conn.execute("DELETE FROM reviews WHERE tenant_id = $1", tenant)


def _corrected(row: dict[str, Any]) -> dict[str, str]:
    return {"seller.name": str(row["seller_name"]), "seller.vat_id": str(row["seller_vat_id"])}


async def test_a_reviewed_text_pdf_teaches_the_layout_the_next_invoice_is_read_with(
        settings: Settings, pool: Any, run_id: str, worker_factory: Any, tmp_path: Path) -> None:
    tenant = f"lay-{run_id}"

    async def with_the_file(invoice_id: str, row: dict[str, Any], path: Path) -> None:
        sets = [arg for name, value in _corrected(row).items() for arg in ("--set", f"{name}={value}")]
        done = _cli(settings, "review", invoice_id, "--tenant", tenant, *sets, "--decision", "approve",
                    "--reviewer", "ana", "--document", str(path))
        assert done.returncode == 0, done.stderr

    await _reviewed_then_read(settings, pool, tenant, worker_factory, tmp_path, with_the_file)


async def test_a_review_saved_on_the_dashboard_without_the_file_teaches_the_layout_too(
        settings: Settings, pool: Any, api: Any, worker_factory: Any, tmp_path: Path) -> None:
    tenant = api.tenants[0]

    async def on_the_dashboard(invoice_id: str, row: dict[str, Any], path: Path) -> None:
        body = {"corrections": _corrected(row), "decision": "approve", "reviewer": "ana"}  # the page has no file
        saved = await api.client.post(f"/api/v1/invoices/{invoice_id}/review", json=body, headers=api.auth("a"))
        assert saved.status_code == 202, saved.text

    await _reviewed_then_read(settings, pool, tenant, worker_factory, tmp_path, on_the_dashboard)

