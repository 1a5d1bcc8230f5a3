"""The live feed and the lag, against the real Kafka: `invoiceflow serve` under uvicorn on a loopback port.

Scored events and dead letters are produced to the test's own topics, as the workers would; the stream is
read as a browser reads it (Server-Sent Events over HTTP), with and without `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio

from config.settings import Settings
from config.topics import RECEIVED, SCORED, dead_letter_topic
from streams.admin import ensure_topics
from streams.codecs import encode
from streams.deadletters import Failure, Origin, dead_letter_headers
from streams.errors import DocumentNotFound
from streams.sinks.tokens import TokenStore
from streams.topics import topic_name
from tests.integration.kafka_helpers import produce
from tests.integration.service_helpers import serving
from tests.records_helpers import scored

pytestmark = pytest.mark.integration


@dataclass
class Live:
    base: str
    settings: Settings
    tenants: tuple[str, str]
    tokens: dict[str, str]

    def auth(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


@pytest_asyncio.fixture(loop_scope="function")
async def live(settings: Settings, pool: Any, run_id: str) -> AsyncIterator[Live]:
    await ensure_topics(settings)
    tenants = (f"live-a-{run_id}", f"live-b-{run_id}")
    store = TokenStore(pool)
    made = {"a": await store.add(tenants[0], "test"), "b": await store.add(tenants[1], "test"),
            "admin": await store.add(None, "test admin")}
    settings = settings.model_copy(update={"service_heartbeat_s": 0.5})
    try:
        async with serving(settings) as base:
            async with httpx.AsyncClient(base_url=base) as client:  # tokens loaded, the feed holding its topics
                admin = {"Authorization": f"Bearer {made['admin'][1]}"}
                for _ in range(200):
                    if (await client.get("/health/ready")).status_code == 200 and (
                            await client.get("/api/v1/metrics", headers=admin)).status_code == 200:
                        break
                    await asyncio.sleep(0.1)
            yield Live(base, settings, tenants, {k: v[1] for k, v in made.items()})
    finally:
        for info, _ in made.values():
            await store.delete(info.token_id)


async def _events(live: Live, who: str, want: int, timeout_s: float = 20.0, **params: str
                  ) -> tuple[list[tuple[str, str, dict[str, Any]]], list[str]]:
    """Read the stream until `want` events (id, kind, data) came, or the timeout; and the comments seen."""
    headers = live.auth(who, **({"Last-Event-ID": params.pop("last")} if "last" in params else {}))
    got: list[tuple[str, str, dict[str, Any]]] = []
    comments: list[str] = []
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=live.base, timeout=timeout_s) as client, \
            client.stream("GET", "/api/v1/stream", params=params, headers=headers) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        block: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line.startswith(":"):
                comments.append(line)
            elif line:
                name, _, value = line.partition(":")
                block[name] = value.strip()
            elif "data" in block:
                got.append((block.get("id", ""), block.get("event", "message"), orjson.loads(block["data"])))
                block = {}
            if len(got) >= want or time.monotonic() > deadline:
                break
    return got, comments


async def _publish_scored(live: Live, *invoices: tuple[str, str]) -> None:
    events = [scored(invoice, tenant) for tenant, invoice in invoices]
    await produce(live.settings, topic_name(live.settings, SCORED),
                  [(ev.invoice_id.encode(), encode(ev)) for ev in events])


async def test_a_tenant_sees_its_own_scored_invoices_as_they_happen_and_never_another_s(live: Live) -> None:
    a, b = live.tenants
    reader = asyncio.create_task(_events(live, "a", 3))
    await asyncio.sleep(1.0)
    await _publish_scored(live, (a, "inv-1"), (b, "inv-b"), (a, "inv-2"), (a, "inv-3"))
    got, _ = await reader
    assert sorted((kind, data["invoice_id"]) for _, kind, data in got) == [  # partitions interleave
        ("scored", "inv-1"), ("scored", "inv-2"), ("scored", "inv-3")]
    first = got[0][2]
    assert first["tenant_id"] == a and first["decision"] in {"auto_approve", "review", "reject"}
    assert set(first) >= {"score", "route", "format", "extractor", "reasons", "latency_ms", "at"}
    assert "seller" not in orjson.dumps(first).decode()  # ids and outcome only, never the document's fields
    admin, _ = await _events(live, "admin", 4, last=got[0][0].split(".")[0] + ".0")  # every tenant's, from the start
    assert {d["tenant_id"] for _, _, d in admin} == {a, b}


async def test_a_client_that_reconnects_with_last_event_id_gets_exactly_what_it_missed(live: Live) -> None:
    a, _ = live.tenants
    reader = asyncio.create_task(_events(live, "a", 2))
    await asyncio.sleep(1.0)
    await _publish_scored(live, (a, "r-1"), (a, "r-2"))
    first, _ = await reader
    await _publish_scored(live, (a, "r-3"), (a, "r-4"))  # while it is away
    await asyncio.sleep(1.5)
    resumed, _ = await _events(live, "a", 2, last=first[-1][0])
    assert sorted(d["invoice_id"] for _, _, d in resumed) == ["r-3", "r-4"]
    assert [int(i.split(".")[1]) for i, _, _ in resumed] == sorted(int(i.split(".")[1]) for i, _, _ in resumed)


async def test_dead_letters_appear_in_the_feed_with_their_stage_and_reason(live: Live) -> None:
    a, _ = live.tenants
    origin = Origin(topic_name(live.settings, RECEIVED), 0, 42, int(time.time() * 1000), 0)
    value = orjson.dumps({"invoice_id": "gone-1", "tenant_id": a, "document": {"uri": "file:///gone"}})
    headers = dead_letter_headers([], origin, Failure("detect", DocumentNotFound("no such file"), 1,
                                                      live.settings.app_id), value)
    reader = asyncio.create_task(_events(live, "a", 1))
    await asyncio.sleep(1.0)
    await produce(live.settings, topic_name(live.settings, dead_letter_topic("detect")), [(b"gone-1", value)],
                  headers=headers)
    got, _ = await reader
    assert [(kind, d["invoice_id"], d["stage"], d["reason"]) for _, kind, d in got] == [
        ("dead_letter", "gone-1", "detect", "document_missing")]


async def test_stream_and_lag_tokens_none_401_another_tenant_403(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as client:
        assert (await client.get("/api/v1/stream")).status_code == 401
        other = await client.get("/api/v1/stream", params={"tenant": live.tenants[1]}, headers=live.auth("a"))
        assert other.status_code == 403
        assert (await client.get("/api/v1/lag", headers=live.auth("a"))).status_code == 403
        assert (await client.get("/api/v1/lag")).status_code == 401


async def test_lag_counts_what_the_workers_have_not_processed(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as client:
        before = orjson.loads((await client.get("/api/v1/lag", headers=live.auth("admin"))).content)
        await produce(live.settings, topic_name(live.settings, RECEIVED), [(b"k%d" % i, b"{}") for i in range(7)])
        await asyncio.sleep(2.1)  # one reading is kept for 2 s
        after = orjson.loads((await client.get("/api/v1/lag", headers=live.auth("admin"))).content)
    assert before["group"] == live.settings.app_id
    assert set(before["stages"]) == {"detect", "extract", "score", "aggregate", "review"}
    assert after["stages"]["detect"] - before["stages"]["detect"] == 7  # no worker runs: all 7 wait
    assert after["total"] == sum(after["stages"].values())


async def test_a_quiet_stream_sends_heartbeats(live: Live) -> None:
    got, comments = await _events(live, "b", 1, timeout_s=1.3)
    assert got == [] and len(comments) >= 2 and all(c == ": keep-alive" for c in comments)
