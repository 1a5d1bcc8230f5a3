"""The benchmark's pure parts: mix parsing, stage split, statistics, the received_at stamp, the outputs."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import Settings
from schemas import InvoiceReceived
from streams.errors import ConfigError
from tools.bench import BenchConfig, PureCost, as_json, format_table, parse_mix, plan_stages
from tools.bench._analyse import ceiling, outcome, stage_figures
from tools.bench._collect import Arrival, ScoredCollector
from tools.bench._figures import Figures, Latency, RunInfo, Series
from tools.bench._monitor import OffsetSample
from tools.bench._publish import prepare, stamp
from tools.bench._stats import per_second, percentile, steady_window, sustained


def test_mix_classes_spread_over_their_formats_and_shares_sum_to_one() -> None:
    mix = parse_mix("einvoice=0.6,text=0.3,scan=0.1")
    assert mix == pytest.approx({"cii": 0.2, "hybrid_pdf": 0.2, "ubl": 0.2, "text_pdf": 0.3, "scan": 0.05,
                                 "scan_pdf": 0.05})
    assert parse_mix("ubl,cii") == {"cii": 0.5, "ubl": 0.5}
    assert sum(parse_mix("einvoice=2,ubl=1").values()) == pytest.approx(1.0)


@pytest.mark.parametrize("text", ["", "pdf=1", "ubl=0", "ubl=-1", "ubl=x"])
def test_a_bad_mix_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_mix(text)


def test_config_refuses_nonsense() -> None:
    with pytest.raises(ConfigError):
        BenchConfig(count=0)
    with pytest.raises(ConfigError):
        BenchConfig(rate=0)


def test_without_split_every_worker_runs_every_stage() -> None:
    assert plan_stages(3, False, {}) == ["detect,extract,score,aggregate"] * 3


def test_split_balances_by_cost_and_runs_every_stage_somewhere() -> None:
    cost = {"detect": 1.0, "extract": 3.0, "score": 0.5, "aggregate": 0.5}
    plan = plan_stages(2, True, cost)
    assert len(plan) == 2 and all(plan)
    assert {s for p in plan for s in p.split(",")} == set(cost)
    four = plan_stages(4, True, cost)
    assert sum("extract" in p for p in four) >= 2  # the heavy stage is replicated


def test_percentiles_and_the_steady_window() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50 and percentile(values, 0.99) == 99 and percentile(values, 1.0) == 100
    assert math.isnan(percentile([], 0.5))
    window = steady_window([i / 100 for i in range(1000)])  # 100 per second
    assert window.per_s == pytest.approx(100, rel=0.01)
    assert per_second([0.1, 0.2, 1.5, 3.0], 0.0) == [2, 1, 0, 1]


def test_stamp_sets_received_at_to_the_send_instant(tmp_path: Path) -> None:
    doc = tmp_path / "a.xml"
    doc.write_bytes(b"<Invoice/>")
    [item] = prepare([doc], "t", Settings())
    value = stamp(item.template, 1_700_000_000.25)
    event = InvoiceReceived.model_validate_json(value)
    assert event.received_at == datetime.fromtimestamp(1_700_000_000.25, UTC)
    assert event.invoice_id.encode() == item.key and event.document.uri == doc.resolve().as_uri()


def test_the_collector_counts_each_invoice_once() -> None:
    collector = ScoredCollector({b"a": 0, b"b": 1})
    value = json.dumps({"received_at": "2025-01-01T00:00:00Z", "scored_at": "2025-01-01T00:00:00.120Z",
                        "decision": "auto_approve", "format": "ubl", "cost": {"pages": 2, "usd": "0.02"}}).encode()
    for key in (b"a", b"a", b"zzz", b"b"):
        collector._take(key, value, 10.0)
    assert collector.redelivered == 1 and collector.foreign == 1 and collector.done.is_set()
    assert collector.arrivals[0].scored_latency_s == pytest.approx(0.12)
    assert outcome(collector.arrivals)[:2] == (4, 0.04)


def test_stage_rate_is_measured_while_the_stage_is_busy() -> None:
    p = "x."
    samples = [OffsetSample(float(t), {p + "invoices.detected": v, p + "invoices.received": 100}, {})
               for t, v in ((0, 0), (1, 0), (2, 50), (3, 100), (4, 100))]
    detect = stage_figures(samples, p)[0]
    assert detect.stage == "detect" and detect.per_s == pytest.approx(50) and detect.max_lag == 100


def test_the_ceiling_is_the_lower_of_the_raw_chain_and_the_cpu_limit() -> None:
    pure = PureCost({"detect": 0.001, "extract": 0.001}, 0.0001, 10)
    c = ceiling(None, pure, 250.0)
    assert c.cpu_limit_per_s == pytest.approx(c.cores / 0.002) and c.limit_per_s == c.cpu_limit_per_s
    assert c.efficiency == pytest.approx(250.0 / c.limit_per_s)


def test_json_and_table_carry_every_figure() -> None:
    lat = Latency(1.0, 2.0, 3.0, math.nan)
    arrivals = [Arrival(0, 1.0, 0.1, "auto_approve", 0, Decimal(0), "ubl")]
    figures = Figures(
        run=RunInfo("r1", "test machine", 2, 1, "ubl=1.000", None, 2000, 1, ("detect,extract,score,aggregate",), 0,
                    "/tmp/c", False, "bench-r1", 3),
        published=1, arrived=1, redelivered=0, dead_lettered=0, wall_s=1.0, publish_per_s=math.nan,
        throughput_per_s=10.0, throughput_method="test", overall_per_s=10.0, latency_scored=lat,
        latency_arrival=lat, latency_scored_all=lat, stages=(),
        processes=(), machine_busy=0.5, other_cpu_s=0.0, stack_cpu_ms_per_invoice=4.0,
        paid_pages=0, cost_usd_total=0.0, cost_per_invoice_usd=0.0,
        decisions=outcome(arrivals)[2], touchless=1.0, ceiling=ceiling(None, PureCost({"detect": 0.001}, 0, 1), 10.0),
        series=Series(),
    )
    data = as_json(figures)
    assert data["latency_scored"]["max_ms"] is None and data["throughput_per_min"] == 600.0
    assert data["projected_per_s"] == 500.0  # 2 cores / 4 ms
    json.dumps(data, allow_nan=False)
    table = format_table(figures)
    for label in ("throughput", "600/min", "ceiling (b)", "efficiency", "touchless", "$0.13", "vendor master"):
        assert label in table


def test_sustained_throughput_in_a_closed_loop_ignores_the_backlog_and_the_drain() -> None:
    arrived = [1.0 + i * 0.01 for i in range(100)]  # the pipeline clears 100/s
    sent = [0.0] * 10 + arrived[:90]  # invoice i + 10 leaves when invoice i arrives
    per_s, method = sustained(sent, arrived, None, 10)
    assert per_s == pytest.approx(100, rel=0.02) and "closed loop" in method
    per_s, method = sustained(sent, arrived, None, 0)  # no window: first send to last arrival
    assert per_s == pytest.approx(100 / 1.99) and "whole run" in method


def test_the_pure_cost_is_bracketed_around_the_run_in_stage_order() -> None:
    from tools.bench._run import bracket

    before = PureCost({"detect": 0.001, "extract": 0.002}, codec_s=0.0002, documents=10)
    after = PureCost({"detect": 0.003, "extract": 0.002}, codec_s=0.0004, documents=10)
    both = bracket(before, after)
    assert list(both.per_stage_s) == ["detect", "extract"]
    assert both.per_stage_s["detect"] == pytest.approx(0.002) and both.total_s == pytest.approx(0.004)
    assert both.codec_s == pytest.approx(0.0003)
