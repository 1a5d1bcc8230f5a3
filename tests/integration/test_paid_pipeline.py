"""Scans through the real pipeline with the real Azure SDK against the local fake of the service."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from schemas import InvoiceScored
from streams.deadletters import view_of
from streams.publisher import received_for_file
from tests.integration.kafka_helpers import collect, produce
from tools.fake_azure._fields import FakeDocument, invoice_fields
from tools.fake_azure.server import FakeAzureDI, FakeConfig
from tools.samples import generate_samples

pytestmark = pytest.mark.integration


def _truth(row: dict[str, Any]) -> FakeDocument:
    return FakeDocument(fields=invoice_fields(
        invoice_id=str(row["invoice_number"]), invoice_date=date.fromisoformat(str(row["issue_date"])),
        currency=str(row["currency"]), invoice_total=Decimal(str(row["total_incl_vat"])),
        amount_due=Decimal(str(row["total_gross"])), vendor_name=str(row["seller_name"]),
        customer_name=str(row["buyer_name"]),
    ))


async def _fake(latency_s: float, rows: list[dict[str, Any]]) -> FakeAzureDI:
    fake = FakeAzureDI(FakeConfig(latency_s=latency_s, analyze_rps=15),
                       truth_by_sha256={str(r["sha256"]): _truth(r) for r in rows})
    await fake.start()
    return fake


def _endpoints(fake: FakeAzureDI) -> str:
    return json.dumps([{"name": "fake-1", "url": fake.url, "key": "fake-key"}])


async def _scored(settings: Settings, ids: set[str], timeout_s: float) -> dict[str, InvoiceScored]:
    recs = await collect(settings, f"{settings.topic_prefix}invoices.scored",
                         lambda rs: ids <= {r.key.decode() for r in rs}, timeout_s=timeout_s)
    return {s.invoice_id: s for s in (InvoiceScored.model_validate_json(r.value) for r in recs)}


async def test_scans_are_read_by_the_paid_service_once_each(settings: Settings, worker_factory, tmp_path: Path,
                                                            run_id: str) -> None:
    rows = generate_samples(tmp_path, 6, formats=("scan", "scan_pdf"), seed=3)
    fake = await _fake(0.3, rows)
    try:
        worker_factory(INVOICEFLOW_AZURE_ENDPOINTS=_endpoints(fake))
        events = [received_for_file(tmp_path / str(r["file"]), f"paid-{run_id}", settings) for r in rows]
        await produce(settings, f"{settings.topic_prefix}invoices.received",
                      [(e.invoice_id.encode(), e.model_dump_json().encode()) for e in events])
        scored = await _scored(settings, {e.invoice_id for e in events}, 90)
        for ev, row in zip(events, rows, strict=True):
            s = scored[ev.invoice_id]
            assert s.extractor == "azure:prebuilt-invoice"
            assert s.invoice is not None and s.invoice.invoice_number == row["invoice_number"]
            assert s.invoice.amount_due == Decimal(str(row["total_gross"]))
            assert s.cost.pages == 1 and s.cost.usd == Decimal("0.01")
        billed = [r.sha256 for r in fake.accepted_analyses()]
        assert sorted(billed) == sorted(str(r["sha256"]) for r in rows)  # one paid analyze per document
    finally:
        await fake.stop()


async def test_a_refused_document_is_dead_lettered_with_the_service_code(settings: Settings, worker_factory,
                                                                        tmp_path: Path, run_id: str) -> None:
    rows = generate_samples(tmp_path, 1, formats=("scan",), seed=4)
    fake = await _fake(0.2, rows)
    fake.inject("analyze", [400])
    try:
        worker_factory(INVOICEFLOW_AZURE_ENDPOINTS=_endpoints(fake))
        ev = received_for_file(tmp_path / str(rows[0]["file"]), f"paid-{run_id}", settings)
        await produce(settings, f"{settings.topic_prefix}invoices.received",
                      [(ev.invoice_id.encode(), ev.model_dump_json().encode())])
        dlq = await collect(settings, f"{settings.topic_prefix}invoices.extract.dlq", lambda rs: len(rs) >= 1, 60)
        letter = view_of(dlq[0])
        assert letter.invoice_id == ev.invoice_id and letter.reason.startswith("paid_")
        assert letter.attempts == 1 and len(fake.accepted_analyses()) == 0  # not retried: refused for good
    finally:
        await fake.stop()


async def test_a_worker_killed_mid_poll_resumes_without_paying_again(settings: Settings, worker_factory,
                                                                     tmp_path: Path, run_id: str) -> None:
    rows = generate_samples(tmp_path, 1, formats=("scan",), seed=5)
    fake = await _fake(4.0, rows)
    try:
        first = worker_factory(INVOICEFLOW_AZURE_ENDPOINTS=_endpoints(fake), INVOICEFLOW_SESSION_TIMEOUT_S="6")
        ev = received_for_file(tmp_path / str(rows[0]["file"]), f"paid-{run_id}", settings)
        await produce(settings, f"{settings.topic_prefix}invoices.received",
                      [(ev.invoice_id.encode(), ev.model_dump_json().encode())])
        await asyncio.wait_for(fake.wait_for(lambda r: r.kind == "analyze" and r.status == 202), 60)
        await asyncio.wait_for(fake.wait_for(lambda r: r.kind == "get"), 30)
        first.kill()  # mid-poll: the operation is stored, the result not yet
        worker_factory(INVOICEFLOW_AZURE_ENDPOINTS=_endpoints(fake), INVOICEFLOW_SESSION_TIMEOUT_S="6")
        scored = await _scored(settings, {ev.invoice_id}, 90)
        assert scored[ev.invoice_id].extractor == "azure:prebuilt-invoice"
        assert len(fake.accepted_analyses()) == 1  # resumed the stored operation: no second analyze
    finally:
        await fake.stop()
