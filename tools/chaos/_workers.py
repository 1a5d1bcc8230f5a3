"""A scenario's worker processes: started exactly as in production, killed and stopped as operators do.

Each worker is `python -m streams.cli worker` with the scenario's environment and its log in a file. `stop`
sends SIGTERM and measures how long the worker took to exit: a worker that outlives its shutdown timeout
(plus a second of slack) is counted as unkillable, which fails the scenario.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class Workers:
    """Up to `count` worker processes sharing one consumer group."""

    env: Mapping[str, str]
    log_dir: Path
    count: int
    procs: list[subprocess.Popen[bytes] | None] = field(default_factory=list)
    started: int = 0
    stop_times: list[float] = field(default_factory=list)
    unkillable: int = 0

    def start_all(self) -> None:
        """Start every worker."""
        self.procs = [None] * self.count
        for i in range(self.count):
            self.start(i)

    def start(self, i: int) -> None:
        """(Re)start worker `i`."""
        log_path = self.log_dir / f"worker-{i}-{self.started}.log"
        with log_path.open("wb") as log:
            self.procs[i] = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"],
                                             env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)
        self.started += 1

    def kill(self, i: int) -> None:
        """SIGKILL worker `i`: no goodbye, nothing committed since its last commit."""
        proc = self.procs[i]
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def stop(self, i: int, timeout_s: float) -> float:
        """SIGTERM worker `i` and wait; returns the seconds it took (SIGKILL past `timeout_s` + 1, counted)."""
        proc = self.procs[i]
        if proc is None or proc.poll() is not None:
            return 0.0
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s + 1.0)
        except subprocess.TimeoutExpired:
            self.unkillable += 1
            proc.kill()
            proc.wait()
        took = time.monotonic() - began
        self.stop_times.append(took)
        return took

    def alive(self) -> int:
        """How many workers run."""
        return sum(1 for p in self.procs if p is not None and p.poll() is None)

    def stop_all(self, timeout_s: float) -> None:
        """SIGTERM every worker, one after the other, measuring each."""
        for i in range(len(self.procs)):
            self.stop(i, timeout_s)

    def log_tail(self, chars: int = 3000) -> str:
        """The end of every log this scenario wrote (for a failed run)."""
        parts = []
        for path in sorted(self.log_dir.glob("worker-*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name} ---\n{text[-chars:]}")
        return "\n".join(parts)
