"""Traces leave the processes through OTLP: one trace per invoice, from its publication through every stage.

A local OTLP/HTTP receiver (aiohttp, protobuf bodies decoded with opentelemetry-proto) stands in for a
collector; a real worker exports to it through the standard OTEL_* variables, and so does the publisher.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from config.settings import Settings
from streams.admin import wait_for_workers
from streams.publisher import Publisher, received_for_file
from tests.integration.test_pipeline import _rows, _wait_for
from tools.samples import generate_samples

pytestmark = pytest.mark.integration

STAGES = ("invoiceflow.publish", "invoiceflow.detect", "invoiceflow.extract", "invoiceflow.score",
          "invoiceflow.aggregate")


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None


class Receiver:
    """What an OTLP/HTTP collector would have received: every span, with its service's name."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.requests = 0

    async def traces(self, request: web.Request) -> web.Response:
        assert request.content_type == "application/x-protobuf"
        export = ExportTraceServiceRequest.FromString(await request.read())
        self.requests += 1
        for resource_spans in export.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                for s in scope.spans:
                    self.spans.append(Span(str(resource.get("service.name")), s.name, s.trace_id.hex(),
                                           s.span_id.hex(), s.parent_span_id.hex(),
                                           {a.key: _value(a.value) for a in s.attributes}))
        return web.Response(body=ExportTraceServiceResponse().SerializeToString(),
                            content_type="application/x-protobuf")


@pytest_asyncio.fixture(loop_scope="function")
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/v1/traces", got.traces)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield got, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_one_trace_spans_the_publication_and_every_stage_of_an_invoice(
    settings: Settings, worker_factory, receiver: tuple[Receiver, str], tmp_path: Path, run_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    got, endpoint = receiver
    otel = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_BSP_SCHEDULE_DELAY": "200"}
    worker_factory(INVOICEFLOW_TRACE_SAMPLE_RATIO="1.0", **otel)
    await wait_for_workers(settings)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)  # the publisher's exporter, in this process
    tenant = f"traced-{run_id}"
    rows = generate_samples(tmp_path / "docs", 4, formats=("ubl", "cii"), seed=41)
    events = [received_for_file(tmp_path / "docs" / str(r["file"]), tenant, settings) for r in rows]
    traced = settings.model_copy(update={"trace_sample_ratio": 1.0, "traces_exporter": "otlp"})
    async with Publisher(traced) as publisher:
        await publisher.publish(events)
    assert await _wait_for(lambda: _rows(settings, tenant), len(events), 60) == len(events)

    def aggregated() -> int:
        return sum(1 for s in got.spans if s.name == "invoiceflow.aggregate")

    for _ in range(100):  # the worker exports every 200 ms
        if aggregated() >= len(events):
            break
        await asyncio.sleep(0.1)
    print(f"\n{len(got.spans)} spans in {got.requests} OTLP request(s)")
    for event, truth in zip(events, rows, strict=True):
        ours = [s for s in got.spans if s.attributes.get("invoiceflow.invoice_id") == event.invoice_id]
        traces = {s.trace_id for s in ours}
        assert len(traces) == 1, f"{event.invoice_id}: {len(traces)} traces"
        trace = [s for s in got.spans if s.trace_id in traces]
        names = [s.name for s in trace]
        assert set(STAGES) <= set(names), names
        chain = {s.name: s for s in trace}
        for parent, child in itertools.pairwise(STAGES):  # each stage continues the one before
            assert chain[child].parent_id == chain[parent].span_id, (parent, child)
        assert chain["invoiceflow.publish"].service == "invoiceflow-publisher"
        assert {chain[n].service for n in STAGES[1:]} == {"invoiceflow-worker"}
        assert all(s.attributes["invoiceflow.tenant"] == tenant for s in trace)
        assert chain["invoiceflow.detect"].attributes["invoiceflow.route"] == "structured"
        assert chain["invoiceflow.extract"].attributes["invoiceflow.extractor"] in ("ubl", "cii")
        assert chain["invoiceflow.score"].attributes["invoiceflow.decision"] in ("auto_approve", "review", "reject")
        assert chain["invoiceflow.aggregate"].attributes["invoiceflow.decision"] == \
            chain["invoiceflow.score"].attributes["invoiceflow.decision"]
        text = json.dumps([s.attributes for s in trace])
        for field in ("invoice_number", "seller_name", "buyer_name", "seller_vat_id", "seller_iban"):
            if truth.get(field):
                assert str(truth[field]) not in text, f"{field} leaked into a span"
