"""A worker's view becomes Prometheus families that parse back to what the worker counted."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from streams.azure.breaker import Phase
from streams.metrics import EndpointView, StageView, WorkerView, families
from streams.stage import StageStats
from streams.tally import Observations


def _text(view: WorkerView) -> str:
    class One(Collector):
        def collect(self):  # type: ignore[no-untyped-def]
            return families(view)

    registry = CollectorRegistry()
    registry.register(One())
    return generate_latest(registry).decode()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_the_exposition_carries_each_stage_outcome_reason_lag_and_histogram() -> None:
    detect = StageStats(processed=10, produced=8, retried=1, dead_lettered=1, held=0)
    detect.failures.update({"decode_error": 1, "dependency_down": 1})
    detect.batch_seconds.observe(0.003)
    aggregate = StageStats(processed=8, held=3)
    seen = Observations()
    seen.end_to_end.observe(0.2)
    seen.end_to_end.observe(42.0)
    seen.paid_documents.update({"submit": 2, "reuse": 1})
    seen.paid_pages, seen.paid_usd = 3, 0.03
    view = WorkerView("invoiceflow", (StageView("detect", detect, 8, 5, False),
                                      StageView("aggregate", aggregate, 8, None, True)),
                      undelivered=4, parked=2, observations=seen,
                      endpoints=(EndpointView("west", 3, Phase.HALF_OPEN, {"analyze": 7, "get": 20},
                                              {"analyze": (3, 15), "get": (0, 50)}),))
    got = _samples(_text(view))
    assert got[("invoiceflow_stage_events_total", (("outcome", "processed"), ("stage", "detect")))] == 10
    assert got[("invoiceflow_stage_events_total", (("outcome", "held"), ("stage", "aggregate")))] == 3
    assert got[("invoiceflow_stage_failures_total", (("reason", "decode_error"), ("stage", "detect")))] == 1
    assert got[("invoiceflow_consumer_lag", (("stage", "detect"),))] == 5
    assert ("invoiceflow_consumer_lag", (("stage", "aggregate"),)) not in got  # unknown: not a made-up 0
    assert got[("invoiceflow_stage_outage", (("stage", "aggregate"),))] == 1
    assert got[("invoiceflow_assigned_partitions", (("stage", "detect"),))] == 8
    assert got[("invoiceflow_stage_batch_duration_seconds_bucket", (("le", "0.005"), ("stage", "detect")))] == 1
    assert got[("invoiceflow_stage_batch_duration_seconds_bucket", (("le", "0.0025"), ("stage", "detect")))] == 0
    assert got[("invoiceflow_end_to_end_latency_seconds_bucket", (("le", "0.25"),))] == 1
    assert got[("invoiceflow_end_to_end_latency_seconds_bucket", (("le", "+Inf"),))] == 2
    assert got[("invoiceflow_end_to_end_latency_seconds_sum", ())] == 42.2
    assert (got[("invoiceflow_undelivered_records", ())], got[("invoiceflow_parked_records", ())]) == (4, 2)
    assert got[("invoiceflow_paid_documents_total", (("source", "submit"),))] == 2
    assert got[("invoiceflow_paid_pages_total", ())] == 3
    assert got[("invoiceflow_paid_calls_total", (("endpoint", "west"), ("kind", "analyze")))] == 7
    assert got[("invoiceflow_paid_quota_used_ratio", (("endpoint", "west"), ("kind", "analyze")))] == 0.2
    assert got[("invoiceflow_paid_circuit_state", (("endpoint", "west"), ("state", "half_open")))] == 1
    assert got[("invoiceflow_paid_circuit_state", (("endpoint", "west"), ("state", "closed")))] == 0
    info = {"app_id": "invoiceflow", "stages": "detect,aggregate", "pid": str(os.getpid())}
    assert got[("invoiceflow_worker_info", tuple(sorted(info.items())))] == 1
