"""Scoring acceptance on real worker processes and the real Kafka, Redis and PostgreSQL (issue 5).

- The same invoice as UBL and as its hybrid PDF: at most one is auto-approved, the other says `duplicate`.
- 500 scored events delivered twice to the aggregate stage leave PostgreSQL and the Redis counters as
  they were (full dumps of the test tenant's rows, row versions included).
- A policy edit takes effect on the next invoice while the worker runs; a bad edit keeps the last good one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from agents.vendors import vendor_facts
from config.settings import Settings
from schemas import Decision, DocumentRef, InvoiceReceived, InvoiceScored, event_id_for
from streams.sinks.postgres import PostgresRecords, open_pool
from streams.sinks.redis import RedisStores, connect_redis
from tests.integration.kafka_helpers import collect, produce
from tests.records_helpers import dump

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PAIRS = ("EN16931_Elektron", "EN16931_Miete", "EN16931_Betriebskostenabrechnung")


def _truth(corpus: Path) -> list[tuple[Path, dict[str, Any]]]:
    rows = []
    for truth in sorted(corpus.glob("*/truth.jsonl")):
        rows += [(truth.parent, json.loads(line)) for line in truth.read_text().splitlines() if line.strip()]
    return rows


def _received(path: Path, tenant: str) -> InvoiceReceived:
    data = path.read_bytes()
    invoice_id, sha = str(uuid.uuid4()), hashlib.sha256(data).hexdigest()
    kind = "application/pdf" if path.suffix == ".pdf" else "application/xml"
    return InvoiceReceived(
        event_id=event_id_for("received", invoice_id, sha), invoice_id=invoice_id, tenant_id=tenant,
        received_at=datetime.now(UTC), source="test",
        document=DocumentRef(uri=path.resolve().as_uri(), sha256=sha, size=len(data), content_type=kind),
    )


async def _publish(settings: Settings, events: list[InvoiceReceived]) -> None:
    items = [(e.invoice_id.encode(), e.model_dump_json().encode()) for e in events]
    await produce(settings, f"{settings.topic_prefix}invoices.received", items)


async def _scored(settings: Settings, ids: set[str], timeout_s: float = 90) -> dict[str, InvoiceScored]:
    recs = await collect(settings, f"{settings.topic_prefix}invoices.scored",
                         lambda rs: ids <= {r.key.decode() for r in rs}, timeout_s)
    found = {ev.invoice_id: ev for ev in (InvoiceScored.model_validate_json(r.value) for r in recs)}
    assert ids <= set(found), f"{len(ids - set(found))} invoice(s) not scored in {timeout_s} s"
    return {i: found[i] for i in ids}


async def _until(probe: Callable[[], Any], want: Callable[[Any], bool], timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    got = await probe()
    while not want(got) and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        got = await probe()
    return got


async def _pg_dump(settings: Settings, tenant: str) -> dict[str, list[str]]:
    conn = await asyncpg.connect(settings.postgres_dsn.get_secret_value())
    try:
        return await dump(conn, tenant)
    finally:
        await conn.close()


async def _forget(settings: Settings, *tenants: str) -> None:
    """Delete the tenants' records once a test passed (a failed test leaves them to look at)."""
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
    try:
        for tenant in tenants:
            await PostgresRecords(pool).delete_tenant(tenant)
    finally:
        await pool.close()


async def _redis_counters(settings: Settings, tenant: str) -> dict[str, dict[bytes, bytes]]:
    """Every counter hash of the tenant: the totals and one per day."""
    client = connect_redis(settings.redis_url.get_secret_value())
    total = f"invoiceflow:{settings.topic_prefix}metrics:{tenant}"
    try:
        keys = [total] + [k.decode() async for k in client.scan_iter(match=f"{total}:*")]
        return {key: await client.hgetall(key) for key in keys}
    finally:
        await client.aclose()


def _scored_count(settings: Settings, tenant: str) -> Callable[[dict[str, dict[bytes, bytes]]], int]:
    return lambda counters: int(counters[f"invoiceflow:{settings.topic_prefix}metrics:{tenant}"].get(b"scored", 0))


def _policy_file(path: Path, tenant: str, version: str, overrides: str) -> Path:
    """The built-in policy with `version` and one tenant entry (`overrides`: YAML lines, indented 4)."""
    text = (REPO / "config" / "default_policy.yaml").read_text()
    text = text.replace('version: "2025.1"', f'version: "{version}"')
    text = text.replace("tenants: {}", f"tenants:\n  {tenant}:\n{overrides}")
    path.write_text(text)
    return path


async def test_the_same_invoice_as_ubl_and_hybrid_pdf_is_approved_at_most_once(
    settings: Settings, worker_factory: Any, corpus: Path, run_id: str
) -> None:
    tenant = f"pairs-{run_id}"
    by_pair: dict[str, dict[str, tuple[Path, dict[str, Any]]]] = {}
    for folder, row in _truth(corpus):
        name = str(row.get("pair_key", "")).rpartition(":")[2]
        if name in PAIRS and row["format"] in ("ubl", "facturx-pdf"):
            by_pair.setdefault(name, {})[row["format"]] = (folder / row["file"], row)
    assert sorted(by_pair) == sorted(PAIRS)
    for files in by_pair.values():
        (_, xml), (_, pdf) = files["ubl"], files["facturx-pdf"]
        for field in ("seller_name", "invoice_number", "total_gross", "issue_date"):
            assert xml[field] == pdf[field], field
    # the tenant knows the seller (vendor master), so nothing but the duplicate rule holds an invoice back
    master = [{"vat_id": "DE136695976", "name": "Lieferant", "iban": "DE91100000000123456789"}]
    client = connect_redis(settings.redis_url.get_secret_value())
    await RedisStores(client, settings.topic_prefix).learn_vendors(vendor_facts(tenant, iter(master)))
    await client.aclose()
    worker_factory()
    events = {name: [_received(files[fmt][0], tenant) for fmt in ("ubl", "facturx-pdf")]
              for name, files in by_pair.items()}
    await _publish(settings, [ev for pair in events.values() for ev in pair])
    scored = await _scored(settings, {ev.invoice_id for pair in events.values() for ev in pair})
    for name, (ubl, pdf) in events.items():
        results = [scored[ubl.invoice_id], scored[pdf.invoice_id]]
        assert {r.format.value for r in results} == {"ubl", "hybrid_pdf"}, name
        approved = [r for r in results if r.decision is Decision.AUTO_APPROVE]
        assert len(approved) == 1, (name, [(r.decision, [c.code for c in r.reasons]) for r in results])
        other = next(r for r in results if r is not approved[0])
        assert "duplicate" in {c.code for c in other.reasons}, name
        assert approved[0].invoice_id in {ubl.invoice_id, pdf.invoice_id}
    await _forget(settings, tenant)


async def test_redelivering_500_scored_events_changes_nothing(
    settings: Settings, worker_factory: Any, corpus: Path, run_id: str, tmp_path: Path
) -> None:
    tenant = f"redeliver-{run_id}"
    files = [folder / row["file"] for folder, row in _truth(corpus)
             if row["format"] in ("ubl", "cii", "facturx-pdf") and not row.get("invalid")]
    assert len(files) >= 200
    policy = _policy_file(tmp_path / "policy.yaml", tenant, "redeliver-1", "    new_vendor_caps_at_review: false")
    worker_factory(INVOICEFLOW_POLICY_FILE=str(policy))
    events = [_received(files[i % len(files)], tenant) for i in range(500)]
    await _publish(settings, events)
    topic = f"{settings.topic_prefix}invoices.scored"
    wanted = {e.invoice_id.encode() for e in events}
    recs = await collect(settings, topic, lambda rs: wanted <= {r.key for r in rs}, timeout_s=180)
    assert wanted <= {r.key for r in recs} and len(recs) == 500
    scored = _scored_count(settings, tenant)
    counted = await _until(lambda: _redis_counters(settings, tenant), lambda c: scored(c) == 500, 60)
    assert scored(counted) == 500
    before_pg, before_redis = await _pg_dump(settings, tenant), counted
    assert len(before_pg["invoices"]) == len(before_pg["decisions"]) == 500
    assert before_pg["invoice_lines"] and before_pg["invoice_extractions"] and before_pg["vendors"]

    await _republish(settings, recs, topic)
    # one sentinel per partition behind the redelivered records: when all are counted, all were consumed
    sentinel_tenant = f"{tenant}-sentinel"
    await _send_sentinels(settings, recs[0], topic, sentinel_tenant)
    done = _scored_count(settings, sentinel_tenant)
    counters = await _until(lambda: _redis_counters(settings, sentinel_tenant),
                            lambda c: done(c) == settings.topic_partitions, 60)
    assert done(counters) == settings.topic_partitions
    assert await _pg_dump(settings, tenant) == before_pg
    assert await _redis_counters(settings, tenant) == before_redis
    await _forget(settings, tenant, sentinel_tenant)


async def _republish(settings: Settings, recs: list[ConsumerRecord], topic: str) -> None:
    """The exact records again (key, value, headers), each to its own partition."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        futures = [await producer.send(topic, r.value, key=r.key, partition=r.partition,
                                       headers=list(r.headers)) for r in recs]
        for fut in futures:
            await fut
    finally:
        await producer.stop()


async def _send_sentinels(settings: Settings, template: ConsumerRecord, topic: str, tenant: str) -> None:
    base = InvoiceScored.model_validate_json(template.value)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for p in range(settings.topic_partitions):
            ev = base.model_copy(update={"invoice_id": f"{tenant}-{p}", "tenant_id": tenant,
                                         "event_id": f"{tenant}-{p}"})
            await (await producer.send(topic, ev.model_dump_json().encode(), key=ev.invoice_id.encode(),
                                       partition=p))
    finally:
        await producer.stop()


async def test_a_policy_edit_applies_to_the_next_invoice_and_a_bad_edit_keeps_the_last_good_one(
    settings: Settings, worker_factory: Any, corpus: Path, run_id: str, tmp_path: Path
) -> None:
    tenant = f"policy-{run_id}"
    folder = corpus / "zugferd-corpus" / "XML-Rechnung" / "UBL"
    path = _policy_file(tmp_path / "policy.yaml", tenant, "flow-1", "    new_vendor_caps_at_review: false")
    worker = worker_factory(INVOICEFLOW_POLICY_FILE=str(path))

    async def score_one(name: str) -> InvoiceScored:
        ev = _received(folder / f"{name}.ubl.xml", tenant)
        await _publish(settings, [ev])
        return (await _scored(settings, {ev.invoice_id}))[ev.invoice_id]

    first = await score_one("EN16931_Elektron")  # 300.00 EUR
    assert first.decision is Decision.AUTO_APPROVE, [r.code for r in first.reasons]
    assert first.policy_version.startswith(f"flow-1/{tenant}#")

    _policy_file(path, tenant, "flow-2", "    new_vendor_caps_at_review: false\n"
                                         "    max_auto_approve_amount: {EUR: 400}")
    await asyncio.sleep(1.3)  # the reloader looks at the file at most once a second
    second = await score_one("EN16931_Betriebskostenabrechnung")  # 502.63 EUR due: approved under flow-1
    assert second.policy_version.startswith(f"flow-2/{tenant}#")
    assert second.decision is Decision.REVIEW
    assert "amount_over_limit" in {r.code for r in second.reasons}

    _policy_file(path, tenant, "flow-3", "    auto_approve_threshold: very high")  # invalid: not a number
    await asyncio.sleep(1.3)
    third = await score_one("EN16931_Miete")  # 340.96 EUR: under the flow-2 limit
    assert worker.proc.poll() is None, "the worker stopped on a bad policy edit"
    assert third.policy_version == second.policy_version
    assert third.decision is Decision.AUTO_APPROVE, [r.code for r in third.reasons]
    assert "policy reload failed" in worker.log()
    await _forget(settings, tenant)
