"""Every sample format through the real pipeline: the right reader, the right invoice number."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from schemas import InvoiceScored
from streams.publisher import received_for_file
from tests.integration.kafka_helpers import collect, produce
from tools.samples import generate_samples

pytestmark = pytest.mark.integration

EXPECTED_EXTRACTOR = {"ubl": "ubl", "cii": "cii", "facturx-pdf": "cii", "text-pdf": "text", "scan-image": "ocr"}


async def test_each_format_is_read_by_its_reader(settings: Settings, worker_factory, tmp_path: Path,
                                                 run_id: str) -> None:
    rows = generate_samples(tmp_path, 5, formats=("ubl", "cii", "hybrid_pdf", "text_pdf", "scan"), seed=11)
    worker_factory(INVOICEFLOW_OCR="tesseract")
    published = [received_for_file(tmp_path / str(r["file"]), f"fmt-{run_id}", settings) for r in rows]
    events = {ev.invoice_id: row for ev, row in zip(published, rows, strict=True)}
    await produce(settings, f"{settings.topic_prefix}invoices.received",
                  [(ev.invoice_id.encode(), ev.model_dump_json().encode()) for ev in published])
    recs = await collect(settings, f"{settings.topic_prefix}invoices.scored",
                         lambda rs: len({r.key for r in rs}) >= len(rows), timeout_s=120)
    scored = {s.invoice_id: s for s in (InvoiceScored.model_validate_json(r.value) for r in recs)}
    assert set(scored) == set(events)
    for invoice_id, row in events.items():
        s = scored[invoice_id]
        assert s.extractor == EXPECTED_EXTRACTOR[str(row["format"])], row["format"]
        assert s.invoice is not None and s.invoice.currency == row["currency"], row["format"]
        if row["format"] != "scan-image":  # OCR misreads some numbers; its accuracy is measured by eval
            assert s.invoice.invoice_number == row["invoice_number"], row["format"]
            assert s.invoice.amount_due is not None and float(s.invoice.amount_due) == row["total_gross"]


async def test_fatturapa_files_give_one_scored_result_per_body(settings: Settings, worker_factory, tmp_path: Path,
                                                               run_id: str) -> None:
    rows = generate_samples(tmp_path, 8, formats=("fatturapa", "fatturapa_p7m"), seed=5)
    assert any(int(str(r["bodies"])) > 1 for r in rows) and any(r.get("signed") for r in rows)
    worker_factory()
    published = [received_for_file(tmp_path / str(r["file"]), f"fpa-{run_id}", settings) for r in rows]
    expected: dict[str, dict[str, object]] = {}
    for ev, row in zip(published, rows, strict=True):
        bodies = int(str(row["bodies"]))
        for n in range(1, bodies + 1):
            expected[ev.invoice_id if bodies == 1 else f"{ev.invoice_id}#{n}"] = row if n == 1 else {}
    await produce(settings, f"{settings.topic_prefix}invoices.received",
                  [(ev.invoice_id.encode(), ev.model_dump_json().encode()) for ev in published])

    def ids(recs: list) -> set[str]:  # type: ignore[type-arg]
        return {InvoiceScored.model_validate_json(r.value).invoice_id for r in recs}

    recs = await collect(settings, f"{settings.topic_prefix}invoices.scored",
                         lambda rs: ids(rs) >= set(expected), timeout_s=120)
    scored = {s.invoice_id: s for s in (InvoiceScored.model_validate_json(r.value) for r in recs)}
    assert set(scored) == set(expected)
    for invoice_id, row in expected.items():
        s = scored[invoice_id]
        assert s.extractor == "fatturapa" and s.invoice is not None, invoice_id
        if row:
            assert s.invoice.invoice_number == row["invoice_number"]
