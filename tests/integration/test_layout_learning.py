"""Vendor layouts on the real stack: a review of a text PDF through the review stage teaches the seller's layout
(stored in PostgreSQL), and the seller's next invoice is read with it by the extract stage, locally."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from schemas import InvoiceScored
from streams.admin import ensure_topics
from streams.publisher import received_for_file
from streams.topics import topic_name
from tests.integration.conftest import env_for
from tests.integration.kafka_helpers import collect, produce
from tools.samples import generate_hard_series

pytestmark = pytest.mark.integration

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


async def test_a_reviewed_text_pdf_teaches_the_layout_the_next_invoice_is_read_with(
        settings: Settings, pool: Any, run_id: str, worker_factory: Any, tmp_path: Path) -> None:
    tenant = f"lay-{run_id}"
    rows = generate_hard_series(tmp_path, _SPLIT_NAME + 1, 2, seed=9, base_date=date(2026, 6, 1))
    first, second = [r for r in rows if r["seller_index"] == _SPLIT_NAME]
    await ensure_topics(settings)
    worker_factory("detect,extract,score,aggregate,review", INVOICEFLOW_VENDOR_LAYOUTS_REFRESH_S="0.5")
    try:
        received, before = await _scored(settings, tenant, tmp_path / str(first["file"]))
        assert before.extractor == "text"  # no layout yet (and no paid extractor configured)
        assert before.invoice is not None and before.invoice.seller.name != first["seller_name"]

        deadline = time.monotonic() + 60  # the review needs the invoice recorded first
        while time.monotonic() < deadline:
            async with pool.acquire() as conn:
                if await conn.fetchval("SELECT 1 FROM invoices WHERE tenant_id = $1", tenant):
                    break
            await asyncio.sleep(0.2)
        done = _cli(settings, "review", received.invoice_id, "--tenant", tenant,  # a reviewer, with the file
                    "--set", f"seller.name={first['seller_name']}", "--set", f"seller.vat_id={first['seller_vat_id']}",
                    "--decision", "approve", "--reviewer", "ana", "--document", str(tmp_path / str(first["file"])))
        assert done.returncode == 0, done.stderr
        layout = await _layout(pool, tenant)
        assert layout["version"] == 1 and layout["vendor"] == str(first["seller_vat_id"]).replace(" ", "").upper()
        assert first["seller_name"] in layout["layout"]

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
