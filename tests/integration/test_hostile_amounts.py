"""Amounts no invoice states, through the real pipeline: every invoice is scored and recorded, none stalls.

An amount due of 10^20 is a well-formed XML decimal, and `1E+999999` a well-formed Python one; neither fits a
PostgreSQL numeric(18, 2) (nor, the second, any numeric), so a record statement carrying one fails on every
retry. The contract refuses such numbers where the invoice is built (`schemas.Amount`): the reading ends
`invalid` with `amount_out_of_range`, score rejects it, and the record holds the decision without the amount.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from config.settings import Settings
from schemas import InvoiceScored
from streams.publisher import received_for_file
from tests.integration.kafka_helpers import collect, produce
from tools.samples import generate_samples

pytestmark = pytest.mark.integration

_HOSTILE = {"due_too_large": "99999999999999999999.00", "beyond_decimal": "1E+999999"}


async def _recorded(settings: Settings, tenant: str) -> dict[str, Any]:
    conn = await asyncpg.connect(settings.postgres_dsn.get_secret_value())
    try:
        rows = await conn.fetch("SELECT invoice_id, decision, amount_due FROM invoices WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()
    return {r["invoice_id"]: r for r in rows}


async def test_an_amount_no_invoice_states_is_refused_and_recorded_never_stalls_the_sink(
        settings: Settings, worker_factory, tmp_path: Path, run_id: str) -> None:
    rows = generate_samples(tmp_path, 3, formats=("ubl",), seed=21)
    tenant = f"amounts-{run_id}"
    documents = [tmp_path / str(r["file"]) for r in rows]
    for i, (name, value) in enumerate(_HOSTILE.items()):
        xml = documents[i].read_text(encoding="utf-8")
        start = xml.index("<cbc:PayableAmount")
        end = xml.index("</cbc:PayableAmount>", start)
        opening = xml[start:xml.index(">", start) + 1]
        documents[i] = documents[i].with_name(f"{name}.xml")
        documents[i].write_text(xml[:start] + opening + value + xml[end:], encoding="utf-8")
    published = [received_for_file(doc, tenant, settings) for doc in documents]
    by_name = {doc.stem: ev.invoice_id for doc, ev in zip(documents, published, strict=True)}
    worker_factory()
    await produce(settings, f"{settings.topic_prefix}invoices.received",
                  [(ev.invoice_id.encode(), ev.model_dump_json().encode()) for ev in published])
    wanted = set(by_name.values())
    recs = await collect(settings, f"{settings.topic_prefix}invoices.scored",
                         lambda rs: wanted <= {r.key.decode() for r in rs}, timeout_s=90)
    scored = {s.invoice_id: s for s in (InvoiceScored.model_validate_json(r.value) for r in recs)}
    for name in _HOSTILE:
        result = scored[by_name[name]]
        assert result.decision.value == "reject", name
        assert "amount_out_of_range" in [r.code for r in result.reasons], name
    recorded: dict[str, Any] = {}
    for _ in range(120):  # the sink writes behind the loop: wait for the rows, never for ever
        recorded = await _recorded(settings, tenant)
        if set(recorded) >= wanted:
            break
        await asyncio.sleep(0.25)
    assert set(recorded) == wanted  # every invoice recorded: no batch held on a value PostgreSQL refuses
    assert {recorded[by_name[name]]["decision"] for name in _HOSTILE} == {"reject"}
    (normal,) = wanted - {by_name[name] for name in _HOSTILE}
    assert recorded[normal]["amount_due"] is not None
