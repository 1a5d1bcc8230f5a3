"""Every Kafka worker answers its probes and serves its metrics, on a port no other worker made it fail for."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from config.settings import Settings
from config.topics import INVOICE_STAGES
from streams.admin import wait_for_workers
from streams.publisher import Publisher, received_for_file
from tests.integration.test_pipeline import _rows, _wait_for
from tools.samples import generate_samples

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _target(state: Path, pid: int, timeout_s: float = 30) -> str:
    """The worker's address from the file_sd target file it writes under its pid."""
    path = state / "workers" / f"{pid}.json"
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"no target file {path}"
        await asyncio.sleep(0.1)
    group = json.loads(path.read_text())
    assert group[0]["labels"]["pid"] == str(pid)
    return str(group[0]["targets"][0])


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body


async def _ready(session: aiohttp.ClientSession, address: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = await _get(session, f"http://{address}/health/ready")
        if status == 200 or time.monotonic() > deadline:
            assert status == 200, body
            return dict(body)
        await asyncio.sleep(0.5)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_two_workers_on_one_port_both_serve_health_and_metrics(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str
) -> None:
    state, port = tmp_path / "state", _free_port()
    env = {"INVOICEFLOW_STATE_DIR": str(state), "INVOICEFLOW_WORKER_HTTP_PORT": str(port)}
    workers = [worker_factory(**env), worker_factory(**env)]
    addresses = [await _target(state, w.proc.pid) for w in workers]
    ports = sorted(int(a.rsplit(":", 1)[1]) for a in addresses)
    assert port in ports and len(set(ports)) == 2, ports  # one got the port, the other an ephemeral one
    assert all(a.startswith("127.0.0.1:") for a in addresses)  # loopback by default
    tenant = f"http-{run_id}"
    rows = generate_samples(tmp_path / "docs", 30, formats=("ubl", "cii"), seed=43)
    events = [received_for_file(tmp_path / "docs" / str(r["file"]), tenant, settings) for r in rows]
    async with aiohttp.ClientSession() as session:
        for address in addresses:
            status, live = await _get(session, f"http://{address}/health/live")
            assert status == 200 and live["status"] == "alive"
        await wait_for_workers(settings)
        for address in addresses:
            ready = await _ready(session, address)
            assert ready["status"] == "ready" and "failing" not in ready
            assert {n for n, c in ready["checks"].items() if c["ok"]} == {"kafka", "redis", "postgres", "consumer"}
        async with Publisher(settings) as publisher:
            await publisher.publish(events)
        assert await _wait_for(lambda: _rows(settings, tenant), len(events), 60) == len(events)
        scraped = []
        for address in addresses:
            began = time.perf_counter()
            async with session.get(f"http://{address}/metrics") as response:
                assert response.status == 200 and response.content_type == "text/plain"
                text = await response.text()
            print(f"\n/metrics of {address}: {len(text):,} bytes in {(time.perf_counter() - began) * 1000:.1f} ms")
            scraped.append(_samples(text))
    for stage in INVOICE_STAGES:
        processed = sum(s.get(("invoiceflow_stage_events_total", (("outcome", "processed"), ("stage", stage))), 0)
                        for s in scraped)
        assert processed >= len(events), stage  # a rebalance may hand a record to both: at least once
        assert all(("invoiceflow_consumer_lag", (("stage", stage),)) in s for s in scraped)
        batches = sum(s[("invoiceflow_stage_batch_duration_seconds_count", (("stage", stage),))] for s in scraped)
        assert batches >= 1
    latency = sum(s[("invoiceflow_end_to_end_latency_seconds_count", ())] for s in scraped)
    assert latency >= len(events)
    assert all(s[("invoiceflow_undelivered_records", ())] == 0 for s in scraped)
    assert all(("process_cpu_seconds_total", ()) in s for s in scraped)  # the process' figures too
    for w in workers:
        w.stop()
    assert not list((state / "workers").glob("*.json"))  # each removed its target file on the way out


async def test_a_worker_whose_redis_does_not_answer_is_alive_but_not_ready_and_says_what_waits(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str
) -> None:
    state = tmp_path / "state"
    worker = worker_factory(INVOICEFLOW_STATE_DIR=str(state), INVOICEFLOW_WORKER_HTTP_PORT="0",
                            INVOICEFLOW_REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0",
                            INVOICEFLOW_HEALTH_CHECK_TIMEOUT_S="1")
    address = await _target(state, worker.proc.pid)
    await wait_for_workers(settings)
    async with aiohttp.ClientSession() as session:
        assert (await _get(session, f"http://{address}/health/live"))[0] == 200
        deadline = time.monotonic() + 60
        while True:  # Kafka and the group first; Redis never
            status, body = await _get(session, f"http://{address}/health/ready")
            if body["checks"]["consumer"]["ok"] or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    print(f"\n{status} {json.dumps(body)}")
    assert status == 503 and body["status"] == "not_ready"
    assert set(body["failing"]) == {"redis"}, body
    assert body["checks"]["kafka"]["ok"] and body["checks"]["postgres"]["ok"]
    # detect needs Redis: what it fetched waits in place (parked), what it has not fetched yet is lag
    rows = generate_samples(tmp_path / "docs", 40, formats=("ubl",), seed=44)
    events = [received_for_file(tmp_path / "docs" / str(r["file"]), f"down-{run_id}", settings) for r in rows]
    async with Publisher(settings) as publisher:
        await publisher.publish(events[:10])
        await asyncio.sleep(2)  # fetched and parked: the partitions pause
        await publisher.publish(events[10:])
    deadline, seen = time.monotonic() + 30, {}
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            async with session.get(f"http://{address}/metrics") as response:
                seen = _samples(await response.text())
            lag = seen[("invoiceflow_consumer_lag", (("stage", "detect"),))]
            waiting = seen[("invoiceflow_parked_records", ())] + lag
            if waiting == len(events):
                break
            await asyncio.sleep(0.5)
    print(f"\nparked {seen[('invoiceflow_parked_records', ())]:.0f}, "
          f"detect lag {seen[('invoiceflow_consumer_lag', (('stage', 'detect'),))]:.0f} of {len(events)}")
    assert waiting == len(events)  # nothing lost from sight, nothing counted twice
    assert seen[("invoiceflow_consumer_lag", (("stage", "detect"),))] > 0  # behind the paused partitions' parked
    assert seen[("invoiceflow_stage_outage", (("stage", "detect"),))] == 1
    assert seen[("invoiceflow_stage_events_total", (("outcome", "held"), ("stage", "detect")))] >= 1
    assert seen[("invoiceflow_stage_failures_total", (("reason", "sink_error"), ("stage", "detect")))] >= 1
