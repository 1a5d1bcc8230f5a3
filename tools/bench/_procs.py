"""The processes a run starts: `invoiceflow worker` children (or raw hop children), and how stages are split.

Workers are started exactly as in production (`python -m streams.cli worker --stages ...`), with the run's
topic prefix and app id (one consumer group) in their environment, and their logs in files so a failure can
show them. With `--split`, stages are balanced across the processes by their measured CPU cost: a heavy
stage may run in several processes (they share its partitions through the group), light ones share one.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from config.topics import INVOICE_STAGES
from streams.admin import stable_members
from streams.errors import DependencyUnavailable

ALL = ",".join(INVOICE_STAGES)  # every stage each invoice passes through, as the registry wires them


@dataclass(slots=True)
class Child:
    """One child process with its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        """The end of its log."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def start_child(name: str, argv: Sequence[str], env: Mapping[str, str], log_dir: Path) -> Child:
    """Start `python -m <argv>` with `env` added to this environment; output goes to `log_dir/<name>.log`."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", *argv], env={**os.environ, **env},
                                stdout=log, stderr=subprocess.STDOUT)
    return Child(name, proc, log_path)


def start_workers(plan: Sequence[str], prefix: str, app_id: str, log_dir: Path,
                  extra_env: Mapping[str, str]) -> list[Child]:
    """One `invoiceflow worker` per entry of `plan` (its comma-separated stages)."""
    env = {**extra_env, "INVOICEFLOW_TOPIC_PREFIX": prefix, "INVOICEFLOW_APP_ID": app_id}
    return [start_child(f"worker-{i}", ["streams.cli", "worker", "--stages", stages], env, log_dir)
            for i, stages in enumerate(plan)]


def stop_children(children: Sequence[Child], timeout_s: float = 20.0) -> None:
    """SIGTERM every child, then wait (SIGKILL after the timeout)."""
    for child in children:
        if child.proc.poll() is None:
            child.proc.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            child.proc.kill()
            child.proc.wait()


def plan_stages(workers: int, split: bool, cost_s: Mapping[str, float]) -> list[str]:
    """The stages each worker runs: all of them in each, or (split) balanced by `cost_s` per stage.

    The split tries every number of replicas per stage (fewer than `workers`: a stage in every process is
    no split), places the pieces heaviest first on the least loaded process, and keeps the plan whose
    busiest process carries the least work (the fewest pieces among equals).
    """
    if not split or workers == 1:
        return [ALL] * workers
    stages = ALL.split(",")
    best: tuple[float, int, list[list[str]]] | None = None
    for replicas in itertools.product(range(1, workers), repeat=len(stages)):
        if sum(replicas) < workers:
            continue
        pieces = sorted(((cost_s[s] / r, s) for s, r in zip(stages, replicas, strict=True) for _ in range(r)),
                        reverse=True)
        loads = [0.0] * workers
        bins: list[list[str]] = [[] for _ in range(workers)]
        for weight, stage in pieces:
            free = [i for i in range(workers) if stage not in bins[i]] or list(range(workers))
            i = min(free, key=lambda k: loads[k])
            loads[i] += weight
            bins[i].append(stage)
        if all(bins) and (best is None or (round(max(loads), 9), len(pieces)) < best[:2]):
            best = (round(max(loads), 9), len(pieces), bins)
    assert best is not None
    return [",".join(s for s in stages if s in b) for b in best[2]]


async def wait_for_group(bootstrap: str, group: str, members: int, children: Sequence[Child],
                         timeout_s: float = 120.0) -> None:
    """Wait until `group` is stable with `members` members; fail early if a child died."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            dead = [c for c in children if c.proc.poll() is not None]
            if dead:
                raise DependencyUnavailable(f"{dead[0].name} exited with {dead[0].proc.returncode}:\n"
                                            f"{dead[0].log_tail()}")
            if await stable_members(admin, group) >= members:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise DependencyUnavailable(f"group {group} did not reach {members} members in {timeout_s:.0f} s")
            await asyncio.sleep(0.3)
    finally:
        await admin.close()
