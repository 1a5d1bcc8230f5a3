"""The plain-aiokafka worker keeps the stage runner's promises: a killed worker loses nothing, a retried
record waits for its time with its partition paused, not with the worker asleep, and workers of one group
are co-partitioned."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka.structs import TopicPartition

from config.settings import Settings
from config.topics import STAGES, retry_topic
from schemas import InvoiceReceived
from streams.admin import ensure_topics, wait_for_workers
from streams.headers import ATTEMPT_HEADER, NOT_BEFORE_HEADER
from streams.kafka_clients import worker_consumer
from streams.lanes import subscriptions
from streams.publisher import received_for_file
from tests.integration.kafka_helpers import collect, produce
from tests.integration.test_pipeline import _rows, _wait_for
from tools.samples import generate_samples

pytestmark = pytest.mark.integration


def events(tmp_path: Path, settings: Settings, tenant: str, count: int, seed: int) -> list[InvoiceReceived]:
    rows = generate_samples(tmp_path / f"docs-{seed}", count, formats=("ubl", "cii"), seed=seed)
    return [received_for_file(tmp_path / f"docs-{seed}" / str(r["file"]), tenant, settings) for r in rows]


async def test_a_killed_worker_loses_nothing_and_the_next_one_finishes(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str
) -> None:
    tenant = f"kill-{run_id}"
    sent = events(tmp_path, settings, tenant, 1500, seed=31)
    p = settings.topic_prefix
    first = worker_factory(INVOICEFLOW_TRANSPORT="kafka", INVOICEFLOW_BATCH_SIZE="20")
    await produce(settings, f"{p}invoices.received", [(e.invoice_id.encode(), e.model_dump_json().encode())
                                                       for e in sent])
    early = await collect(settings, f"{p}invoices.scored", lambda rs: len(rs) >= 150, timeout_s=90)
    first.kill()  # SIGKILL: no goodbye, offsets only as far as the last commit
    assert 150 <= len({r.key for r in early}) < len(sent), "the kill should land mid-stream"
    worker_factory(INVOICEFLOW_TRANSPORT="kafka")
    wanted = {e.invoice_id.encode() for e in sent}
    scored = await collect(settings, f"{p}invoices.scored", lambda rs: wanted <= {r.key for r in rs}, 120)
    keys = [r.key for r in scored]
    print(f"\n{len(sent)} sent, {len(set(keys))} scored, {len(keys) - len(set(keys))} scored twice after the kill")
    assert set(keys) >= wanted
    assert await _wait_for(lambda: _rows(settings, tenant), len(sent), 30) == len(sent)  # duplicates: same rows


async def test_a_retried_record_waits_for_its_time_without_holding_up_the_rest(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str
) -> None:
    tenant = f"retry-{run_id}"
    later, *fresh = events(tmp_path, settings, tenant, 21, seed=32)
    p = settings.topic_prefix
    worker_factory(INVOICEFLOW_TRANSPORT="kafka")
    await wait_for_workers(settings)  # timed from a running worker, not one still starting
    due = time.time() + 4.0
    headers = [(ATTEMPT_HEADER, b"1"), (NOT_BEFORE_HEADER, f"{due:.3f}".encode())]
    await produce(settings, f"{p}{retry_topic('detect')}",
                  [(later.invoice_id.encode(), later.model_dump_json().encode())], headers=headers)
    await produce(settings, f"{p}invoices.received",
                  [(e.invoice_id.encode(), e.model_dump_json().encode()) for e in fresh])
    wanted = {e.invoice_id.encode() for e in [later, *fresh]}
    scored = await collect(settings, f"{p}invoices.scored", lambda rs: wanted <= {r.key for r in rs}, 60)
    at = {r.key: r.timestamp / 1000 for r in scored}
    last_fresh = max(at[e.invoice_id.encode()] for e in fresh)
    print(f"\nfresh ones all scored {due - last_fresh:.2f} s before the retried one was due; "
          f"it was scored {at[later.invoice_id.encode()] - due:.2f} s after")
    assert last_fresh < due - 1.0  # they did not wait behind it
    assert at[later.invoice_id.encode()] >= due - 0.05  # and it was not handled before its time


async def test_two_workers_share_partitions_so_an_invoice_stays_in_one_of_them(settings: Settings) -> None:
    """Range assignment: partition p of every stage's topics goes to the same worker (co-partitioned), which is
    what lets a worker reuse the event it encoded and the document it loaded one hop earlier."""
    await ensure_topics(settings)
    topics = sorted(subscriptions(settings, list(STAGES)))
    consumers = [worker_consumer(settings) for _ in range(2)]
    for consumer in consumers:
        consumer.subscribe(topics)
        await consumer.start()
    whole = len(topics) * settings.topic_partitions
    owned: list[set[TopicPartition]] = [set(), set()]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (all(owned) and len(owned[0] | owned[1]) == whole):
            await asyncio.gather(*(c.getmany(timeout_ms=200) for c in consumers))
            owned = [set(c.assignment()) for c in consumers]
    finally:
        await asyncio.gather(*(c.stop() for c in consumers))
    assert not owned[0] & owned[1] and len(owned[0] | owned[1]) == whole
    for mine in owned:
        partitions = {frozenset(tp.partition for tp in mine if tp.topic == t) for t in topics}
        assert len(partitions) == 1 and next(iter(partitions)), f"not co-partitioned: {sorted(mine)}"


async def test_a_document_source_that_never_answers_holds_only_its_own_record(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str, certificate: tuple[Path, Path]
) -> None:
    """With fetch hosts configured the detect stage runs windowed: the fetch that hangs waits out its time
    budget in one slot while the invoices behind it go through (it used to stall the whole worker)."""
    import hashlib
    import json
    import ssl

    from aiohttp import web

    from schemas import DocumentRef, event_id_for

    docs = tmp_path / "served"
    rows = generate_samples(docs, 20, formats=("ubl",), seed=33)

    async def serve(request: web.Request) -> web.StreamResponse:
        if request.match_info["name"] == "hang":
            await asyncio.sleep(3600)
        return web.Response(body=(docs / "ubl" / request.match_info["name"]).read_bytes())

    app = web.Application()
    app.router.add_get("/doc/{name}", serve)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(*certificate)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    port = runner.addresses[0][1]
    tenant = f"fetch-{run_id}"

    def event(name: str, data: bytes) -> InvoiceReceived:
        ref = DocumentRef(uri=f"https://localhost:{port}/doc/{name}", sha256=hashlib.sha256(data).hexdigest(),
                          size=len(data), content_type="application/xml")
        invoice_id = f"{name}-{run_id}"
        return InvoiceReceived(event_id=event_id_for("received", invoice_id, ref.sha256), invoice_id=invoice_id,
                               tenant_id=tenant, received_at=datetime.now(UTC), document=ref)

    files = [docs / str(r["file"]) for r in rows]
    hang = event("hang", files[0].read_bytes())
    fast = [event(f.name, f.read_bytes()) for f in files]
    try:
        worker_factory(INVOICEFLOW_FETCH_ALLOWED_HOSTS=json.dumps([f"localhost:{port}"]),
                       INVOICEFLOW_FETCH_ALLOW_PRIVATE="true", INVOICEFLOW_FETCH_CA_FILE=str(certificate[0]),
                       INVOICEFLOW_FETCH_TIME_BUDGET_S="30")
        await wait_for_workers(settings)
        p = settings.topic_prefix
        sent_at = time.time()
        await produce(settings, f"{p}invoices.received",
                      [(e.invoice_id.encode(), e.model_dump_json().encode()) for e in [hang, *fast]])
        wanted = {e.invoice_id.encode() for e in fast}
        scored = await collect(settings, f"{p}invoices.scored", lambda rs: wanted <= {r.key for r in rs}, 25)
        took = max(r.timestamp / 1000 for r in scored if r.key in wanted) - sent_at
        print(f"\n20 invoices behind a source that never answers all scored {took:.1f} s after publishing")
        assert wanted <= {r.key for r in scored}
        assert took < 15, "the invoices behind the hanging fetch waited for it"
        assert hang.invoice_id.encode() not in {r.key for r in scored}  # still waiting out its 30 s
    finally:
        await runner.cleanup()


async def test_a_short_retry_never_waits_behind_a_long_one(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str
) -> None:
    """Each retry tier has its own topic, so a record due in 2 s is not queued behind one due in 10 minutes
    (on one shared retry topic, the head of the partition held everything behind it)."""
    later, sooner = events(tmp_path, settings, f"tiers-{run_id}", 2, seed=34)
    worker_factory(INVOICEFLOW_RETRY_DELAYS_S="[2, 60, 600]")
    await wait_for_workers(settings)
    p, key = settings.topic_prefix, b"same-partition"
    now = time.time()
    await produce(settings, f"{p}{retry_topic('detect', 3)}", [(key, later.model_dump_json().encode())],
                  headers=[(ATTEMPT_HEADER, b"3"), (NOT_BEFORE_HEADER, f"{now + 600:.3f}".encode())])
    await produce(settings, f"{p}{retry_topic('detect', 1)}", [(key, sooner.model_dump_json().encode())],
                  headers=[(ATTEMPT_HEADER, b"1"), (NOT_BEFORE_HEADER, f"{now + 2:.3f}".encode())])
    scored = await collect(settings, f"{p}invoices.scored", lambda rs: len(rs) >= 1, 30)
    took = scored[0].timestamp / 1000 - now
    print(f"\nthe 2-second retry was scored after {took:.1f} s, the 10-minute one still waits")
    assert scored[0].value and sooner.invoice_id.encode() in scored[0].value and 2 <= took < 15
