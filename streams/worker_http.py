"""The Kafka worker's small HTTP listener: liveness, readiness and Prometheus metrics, on its own event loop.

    GET /health/live    200 {"status": "alive", "pid", "uptime_s"}: the event loop answers
    GET /health/ready   200 or 503 {"status", "checks": {name: {"ok", "detail", "ms"}}, "failing"} (health.py)
    GET /metrics        Prometheus text exposition of the worker's own registry (metrics.py)

It binds loopback unless the settings say otherwise (`INVOICEFLOW_WORKER_HTTP_HOST`). Port policy: several
workers run on one host (the tests, the benchmark and the chaos suite start two or more), so a worker never
fails for its port: it binds the configured port (`INVOICEFLOW_WORKER_HTTP_PORT`, default 9720) and, when
another process holds it, an ephemeral one, and says so in the log; port 0 asks for an ephemeral port
outright. Either way the port it got is logged at INFO and written to `<state_dir>/workers/<pid>.json` as a
Prometheus file_sd target group, so Prometheus finds every worker of the host without knowing their ports
(files of workers that died without removing theirs are removed by the next worker that starts).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

log = logging.getLogger("invoiceflow.worker")

Ready = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]
Metrics = Callable[[], Awaitable[bytes]]


def targets_dir(state_dir: Path) -> Path:
    """Where workers write their file_sd target files."""
    return state_dir / "workers"


def target_host(host: str) -> str:
    """How a scraper on this host reaches a listener bound to `host` (a wildcard: by the host's name)."""
    if host in ("", "0.0.0.0", "::"):
        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


def write_target(path: Path, host: str, port: int, labels: dict[str, str]) -> None:
    """Write one file_sd target group atomically (Prometheus may read the folder at any moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps([{"targets": [f"{target_host(host)}:{port}"], "labels": labels}]))
    partial.replace(path)


def prune_targets(folder: Path) -> list[Path]:
    """Remove the target files of workers that no longer run (named by their pid); returns them."""
    gone = []
    for path in folder.glob("*.json"):
        if path.stem.isdigit() and not _running(int(path.stem)):
            path.unlink(missing_ok=True)
            gone.append(path)
    return gone


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class WorkerListener:
    """The listener of one worker process; `start` binds it (see the port policy above), `close` ends it."""

    def __init__(self, host: str, port: int, target_file: Path, labels: dict[str, str], ready: Ready,
                 metrics: Metrics) -> None:
        self.host = host
        self.wanted_port = port
        self.port: int | None = None
        self._target_file = target_file
        self._labels = labels
        self._ready = ready
        self._metrics = metrics
        self._started = time.monotonic()
        app = web.Application()
        app.router.add_get("/health/live", self._live)
        app.router.add_get("/health/ready", self._readiness)
        app.router.add_get("/metrics", self._scrape)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)

    async def start(self) -> int:
        """Bind and serve; returns the port. Writes the target file and logs where the listener is."""
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.wanted_port).start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or self.wanted_port == 0:
                await self._runner.cleanup()
                raise
            log.warning("worker: port %d is taken (another worker on this host?): listening on an ephemeral "
                        "port instead", self.wanted_port)
            await web.TCPSite(self._runner, self.host, 0).start()
        self.port = int(self._runner.addresses[0][1])
        prune_targets(self._target_file.parent)
        write_target(self._target_file, self.host, self.port, self._labels)
        log.info("worker: health and metrics on http://%s:%d (/health/live, /health/ready, /metrics); target "
                 "file %s", target_host(self.host), self.port, self._target_file)
        return self.port

    async def close(self) -> None:
        """Stop serving and remove the target file."""
        self._target_file.unlink(missing_ok=True)
        await self._runner.cleanup()

    async def _live(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "alive", "pid": os.getpid(),
                                  "uptime_s": round(time.monotonic() - self._started, 1)})

    async def _readiness(self, _request: web.Request) -> web.Response:
        status, body = await self._ready()
        return web.json_response(body, status=status)

    async def _scrape(self, _request: web.Request) -> web.Response:
        return web.Response(body=await self._metrics(), headers={"Content-Type": CONTENT_TYPE_LATEST})
