"""Watch the run once a second: CPU and memory of every process involved, offsets of every stage topic.

Processes are sampled with psutil: the workers, the bench itself, and the servers (Kafka's java, redis-server,
every postgres process: backends come and go with the workers' pools, so postgres is rediscovered at each
sample). CPU is what a process used between the window's first and last sample (a process born inside the
window counts from zero); memory is the peak resident set (summed over a group's processes).

Offsets come from the admin client (the group's committed offsets) and a group-less consumer (end offsets):
a stage's throughput is the growth of its output topic, its lag the distance from its input's end to what
the group committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

_ERRORS = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess)


@dataclass(slots=True)
class _Pid:
    first_cpu: float
    last_cpu: float


@dataclass(slots=True)
class Group:
    """A named set of processes (one worker, or all of postgres)."""

    name: str
    find: Callable[[], list[psutil.Process]]
    pids: dict[int, _Pid] = field(default_factory=dict)
    peak_rss: int = 0
    series: list[tuple[float, float, int]] = field(default_factory=list)  # (t, cpu seconds, rss)

    @property
    def cpu_s(self) -> float:
        """CPU seconds used inside the window."""
        return sum(p.last_cpu - p.first_cpu for p in self.pids.values())


def _cpu(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return float(t.user + t.system)


def find_servers() -> dict[str, Callable[[], list[psutil.Process]]]:
    """Finders for the broker, Redis and PostgreSQL processes of this machine (empty lists if absent)."""

    def by(match: Callable[[psutil.Process], bool]) -> Callable[[], list[psutil.Process]]:
        def find() -> list[psutil.Process]:
            found = []
            for proc in psutil.process_iter(["name", "cmdline"]):
                try:
                    if match(proc):
                        found.append(proc)
                except _ERRORS:
                    continue
            return found
        return find

    return {
        "kafka": by(lambda p: p.info["name"] == "java" and "kafka.Kafka" in (p.info["cmdline"] or [])),
        "redis": by(lambda p: str(p.info["name"]).startswith("redis-server")),
        "postgres": by(lambda p: p.info["name"] in ("postgres", "postmaster")),
    }


def _machine_busy_s() -> float:
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
                 + getattr(t, "steal", 0.0))


class ProcessSampler:
    """Samples groups of processes; `start()` opens the window, `sample()` extends it.

    It also counts the CPU the whole machine was busy (all cores), so CPU taken by processes that are not
    part of the run (other users of a shared machine) shows in the report instead of silently slowing it.
    """

    def __init__(self) -> None:
        self.groups: list[Group] = []
        self.machine_busy_s = 0.0
        self._machine_start = 0.0
        self._started = 0.0
        self._lock = threading.Lock()  # `run` samples in a thread; `stop()` comes from the loop
        self._stopped = False

    def add(self, name: str, find: Callable[[], list[psutil.Process]]) -> None:
        """Track a group of processes found by `find` (called at each sample)."""
        self.groups.append(Group(name, find))

    def add_pids(self, name: str, pids: Sequence[int]) -> None:
        """Track fixed processes."""
        procs = [psutil.Process(p) for p in pids]
        self.add(name, lambda: procs)

    def start(self) -> None:
        """Open the window: what each process used so far is not counted."""
        self._started = time.time()
        self._stopped = False
        self._machine_start = _machine_busy_s()
        for group in self.groups:
            group.pids.clear()
        self.sample()

    def sample(self) -> None:
        """Record CPU and RSS of every group now."""
        with self._lock:
            if not self._stopped:
                self._sample(time.time())

    def stop(self) -> None:
        """Take the last sample and close the window (later samples are ignored)."""
        self.sample()
        self._stopped = True

    def _sample(self, now: float) -> None:
        self.machine_busy_s = _machine_busy_s() - self._machine_start
        for group in self.groups:
            rss = 0
            for proc in group.find():
                try:
                    with proc.oneshot():
                        cpu, mem = _cpu(proc), int(proc.memory_info().rss)
                        born = proc.create_time()
                except _ERRORS:
                    continue
                rss += mem
                seen = group.pids.get(proc.pid)
                if seen is None:
                    group.pids[proc.pid] = _Pid(0.0 if born > self._started else cpu, cpu)
                else:
                    seen.last_cpu = cpu
            group.peak_rss = max(group.peak_rss, rss)
            group.series.append((now, group.cpu_s, rss))

    async def run(self, interval_s: float = 1.0) -> None:
        """Sample every `interval_s` until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            await asyncio.to_thread(self.sample)


@dataclass(frozen=True, slots=True)
class OffsetSample:
    """End offsets and committed offsets, summed over partitions, per topic, at time `t`."""

    t: float
    end: Mapping[str, int]
    committed: Mapping[str, int]


class OffsetPoller:
    """Polls the end offsets of `topics` and the committed offsets of `group` every second."""

    def __init__(self, bootstrap: str, group: str, topics: Sequence[str]) -> None:
        self.bootstrap, self.group, self.topics = bootstrap, group, list(topics)
        self.samples: list[OffsetSample] = []

    async def run(self, interval_s: float = 1.0) -> None:
        """Sample until cancelled (a failed poll is skipped, not fatal)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
        await admin.start()
        await consumer.start()
        try:
            tps = [TopicPartition(t, p) for t in self.topics for p in sorted(await self._partitions(consumer, t))]
            while True:
                with contextlib.suppress(KafkaError):
                    self.samples.append(await self._poll(admin, consumer, tps))
                await asyncio.sleep(interval_s)
        finally:
            await consumer.stop()
            await admin.close()

    @staticmethod
    async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic)
        return set(parts or ())

    async def _poll(self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer,
                    tps: list[TopicPartition]) -> OffsetSample:
        now = time.time()
        ends = await consumer.end_offsets(tps)
        committed = await admin.list_consumer_group_offsets(self.group)
        end_sum = dict.fromkeys(self.topics, 0)
        done_sum = dict.fromkeys(self.topics, 0)
        for tp, off in ends.items():
            end_sum[tp.topic] += off
        for tp, meta in committed.items():
            if tp.topic in done_sum and meta.offset >= 0:
                done_sum[tp.topic] += meta.offset
        return OffsetSample(now, end_sum, done_sum)
