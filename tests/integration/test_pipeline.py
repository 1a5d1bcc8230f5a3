"""The pipeline end to end on the real local Kafka, Redis and PostgreSQL (issue 2 acceptance)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from config.settings import Settings
from schemas import DocumentRef, InvoiceReceived, InvoiceScored, event_id_for
from streams.deadletters import view_of
from streams.sinks.redis import RedisStores, connect_redis
from tests.integration.kafka_helpers import collect, produce

pytestmark = pytest.mark.integration


def corpus_ubl_files(corpus: Path) -> list[Path]:
    """Every valid UBL invoice or credit note of the corpus, by its truth rows."""
    files = []
    for truth in sorted(corpus.rglob("truth.jsonl")):
        for line in truth.read_text().splitlines():
            row = json.loads(line)
            if row.get("format") == "ubl" and not row.get("invalid") and row["doc_type"] in ("invoice", "credit_note"):
                files.append(truth.parent / row["file"])
    return files


def received(path: Path, tenant: str) -> InvoiceReceived:
    data = path.read_bytes()
    invoice_id = str(uuid.uuid4())
    sha = hashlib.sha256(data).hexdigest()
    return InvoiceReceived(
        event_id=event_id_for("received", invoice_id, sha), invoice_id=invoice_id, tenant_id=tenant,
        received_at=datetime.now(UTC), source="test",
        document=DocumentRef(uri=path.resolve().as_uri(), sha256=sha, size=len(data), content_type="application/xml"),
    )


async def _rows(settings: Settings, tenant: str) -> int:
    conn = await asyncpg.connect(settings.postgres_dsn.get_secret_value())
    try:
        return int(await conn.fetchval("SELECT count(*) FROM invoices WHERE tenant_id = $1", tenant))
    finally:
        await conn.close()


async def _counters(settings: Settings, tenant: str) -> dict[str, int]:
    client = connect_redis(settings.redis_url.get_secret_value())
    try:
        return (await RedisStores(client, settings.topic_prefix).read(tenant)).get(tenant, {})
    finally:
        await client.aclose()


async def _wait_for(probe, want: int, timeout_s: float) -> int:  # type: ignore[no-untyped-def]
    got = -1
    for _ in range(int(timeout_s * 4)):
        got = await probe()
        if got >= want:
            return got
        await asyncio.sleep(0.25)
    return got


@pytest.mark.parametrize("transport", ["kafka", "faust"])
async def test_two_hundred_invoices_then_bad_input(
    settings: Settings, worker_factory, corpus: Path, run_id: str, transport: str
) -> None:
    files = corpus_ubl_files(corpus)
    assert len(files) >= 40, "the corpus should hold dozens of valid UBL documents"
    tenant = f"tenant-{run_id}"
    events = [received(files[i % len(files)], tenant) for i in range(200)]
    worker_factory(INVOICEFLOW_TRANSPORT=transport)
    p = settings.topic_prefix
    items = [(e.invoice_id.encode(), e.model_dump_json().encode()) for e in events]
    await produce(settings, f"{p}invoices.received", items)

    wanted = {e.invoice_id for e in events}
    recs = await collect(settings, f"{p}invoices.scored",
                         lambda rs: wanted <= {r.key.decode() for r in rs}, timeout_s=120)
    scored = {InvoiceScored.model_validate_json(r.value).invoice_id for r in recs}
    assert scored >= wanted and len(wanted) == 200
    assert await _wait_for(lambda: _rows(settings, tenant), 200, 30) == 200
    assert await _wait_for(lambda: _counter_total(settings, tenant), 200, 30) == 200
    counters = await _counters(settings, tenant)
    assert sum(v for k, v in counters.items() if k.startswith("decision:")) == 200

    bad = [b"not json at all", b"{\"invoice_id\": 1}", b"[]", b"{\"schema_version\": 99}", b"\xff\xfe\x00"]
    await produce(settings, f"{p}invoices.received", [(f"bad-{i}".encode(), v) for i, v in enumerate(bad)])
    dlq = await collect(settings, f"{p}invoices.detect.dlq", lambda rs: len(rs) >= 5, timeout_s=60)
    letters = [view_of(r) for r in dlq]
    assert len(letters) == 5
    assert {d.reason for d in letters} <= {"decode_error", "schema_error"}
    assert all(dict(r.headers).get("x-invoiceflow-error") for r in dlq)

    after = received(files[0], f"{tenant}-after")
    await produce(settings, f"{p}invoices.received", [(after.invoice_id.encode(), after.model_dump_json().encode())])
    recs = await collect(settings, f"{p}invoices.scored",
                         lambda rs: any(r.key == after.invoice_id.encode() for r in rs), timeout_s=60)
    assert any(r.key == after.invoice_id.encode() for r in recs)


async def _counter_total(settings: Settings, tenant: str) -> int:
    return (await _counters(settings, tenant)).get("scored", 0)
