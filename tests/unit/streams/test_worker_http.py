"""The worker's listener: a taken port never stops a worker, and the port it got can be found."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from streams.worker_http import WorkerListener, prune_targets, target_host, write_target


async def _ready() -> tuple[int, dict[str, Any]]:
    return 503, {"status": "not_ready", "failing": {"redis": "ConnectionError"}}


async def _metrics() -> bytes:
    return b"# HELP x y\n# TYPE x gauge\nx 1.0\n"


def _listener(folder: Path, port: int, name: str = "1") -> WorkerListener:
    return WorkerListener("127.0.0.1", port, folder / f"{name}.json", {"pid": name}, _ready, _metrics)


async def test_a_taken_port_gives_an_ephemeral_one_and_both_are_written_down(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        first = _listener(tmp_path, port, str(os.getpid()))
        got = await first.start()
        try:
            assert got != port and got > 0
            group = json.loads((tmp_path / f"{os.getpid()}.json").read_text())
            assert group == [{"targets": [f"127.0.0.1:{got}"], "labels": {"pid": str(os.getpid())}}]
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{got}/health/live") as live:
                    assert live.status == 200 and (await live.json())["status"] == "alive"
                async with session.get(f"http://127.0.0.1:{got}/health/ready") as ready:
                    assert ready.status == 503 and (await ready.json())["failing"] == {"redis": "ConnectionError"}
                async with session.get(f"http://127.0.0.1:{got}/metrics") as scrape:
                    assert scrape.headers["Content-Type"].startswith("text/plain; version=")
                    assert (await scrape.read()).endswith(b"x 1.0\n")
        finally:
            await first.close()
    assert not (tmp_path / f"{os.getpid()}.json").exists()


async def test_a_free_configured_port_is_the_one_bound(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listener = _listener(tmp_path, port)
    try:
        assert await listener.start() == port
    finally:
        await listener.close()


def test_the_target_files_of_dead_workers_are_pruned(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone, alive = int(dead.stdout), os.getpid()
    for pid in (gone, alive):
        write_target(tmp_path / f"{pid}.json", "127.0.0.1", 9720, {"pid": str(pid)})
    (tmp_path / "notes.json").write_text("{}")
    assert prune_targets(tmp_path) == [tmp_path / f"{gone}.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{alive}.json", "notes.json"])


@pytest.mark.parametrize(("host", "target"), [("127.0.0.1", "127.0.0.1"), ("::1", "[::1]"),
                                              ("0.0.0.0", socket.gethostname())])
def test_a_scraper_reaches_the_listener_by(host: str, target: str) -> None:
    assert target_host(host) == target
