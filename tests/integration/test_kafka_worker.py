"""The plain-aiokafka worker keeps the stage runner's promises: a killed worker loses nothing, a retried
record waits for its time with its partition paused, not with the worker asleep, and workers of one group
are co-partitioned."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka.structs import TopicPartition

from agents.samples import generate_samples
from config.settings import Settings
from config.topics import STAGES, retry_topic
from schemas import InvoiceReceived
from streams.admin import ensure_topics, wait_for_workers
from streams.lanes import subscriptions, worker_consumer
from streams.publisher import received_for_file
from streams.stage import ATTEMPT_HEADER, NOT_BEFORE_HEADER
from tests.integration.kafka_helpers import collect, produce
from tests.integration.test_pipeline import _rows, _wait_for

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
