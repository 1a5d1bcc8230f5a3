"""`invoiceflow bench e2e --quick` on the real stack: a smoke test of the benchmark, never a speed test.

It checks that a run produces every figure (table, JSON, plot), that every published invoice arrived scored,
and that the run cleaned up after itself; it asserts no throughput or latency (DEVELOPERS.md).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from config.settings import Settings

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def test_quick_bench_produces_every_figure_and_every_invoice_arrives(stack: None, tmp_path: Path) -> None:
    out, plot = tmp_path / "bench.json", tmp_path / "bench.png"
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "bench", "e2e", "--quick", "--no-progress", "--cache",
         str(tmp_path / "cache"), "--json", str(out), "--plot", str(plot)],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    figures = json.loads(out.read_text())

    assert figures["complete"] is True
    assert figures["published"] == figures["arrived"] == 1000
    assert figures["run"]["workers"] == 1
    for name in ("throughput_per_s", "throughput_per_min", "overall_per_s"):
        assert figures[name] > 0, name
    for latency in (figures["latency_scored"], figures["latency_arrival"]):
        assert 0 <= latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert [s["stage"] for s in figures["stages"]] == ["detect", "extract", "score", "aggregate"]
    workers = [p for p in figures["processes"] if p["name"].startswith("worker")]
    assert len(workers) == 1 and workers[0]["cpu_s"] > 0 and workers[0]["peak_rss_mb"] > 0
    assert {p["name"] for p in figures["processes"]} >= {"kafka", "bench"}
    assert sum(figures["decisions"].values()) == 1000
    assert 0 <= figures["touchless"] <= 1
    assert figures["cost_per_invoice_usd"] == 0  # UBL and CII are read locally: nothing is paid

    ceiling = figures["ceiling"]
    assert ceiling["raw_chain_per_s"] > 0 and ceiling["pure_total_us"] > 0 and ceiling["efficiency"] > 0
    assert set(ceiling["pure_cpu_us"]) == {"detect", "extract", "score", "aggregate"}
    assert ceiling["limit_per_s"] == min(ceiling["raw_chain_per_s"], ceiling["cpu_limit_per_s"])

    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for label in ("throughput", "latency scored-received", "ceiling (a)", "ceiling (b)", "efficiency", "touchless"):
        assert label in done.stdout
    assert not asyncio.run(_topics_left(f"bench{figures['run']['run_id']}."))


def test_a_scan_mix_goes_through_the_fake_paid_service_and_costs_money(stack: None, tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "bench", "e2e", "--mix", "scan=1", "--count", "20", "--workers", "1",
         "--no-progress", "--cache", str(tmp_path / "cache"), "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    figures = json.loads(out.read_text())
    assert figures["published"] == figures["arrived"] == 20
    assert figures["paid_pages"] >= 20 and figures["cost_per_invoice_usd"] > 0
    assert any(p["name"] == "fake-azure" for p in figures["processes"])


async def _topics_left(prefix: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=Settings().kafka_bootstrap)
    await admin.start()
    try:
        return [t for t in await admin.list_topics() if t.startswith(prefix)]
    finally:
        await admin.close()
