"""Phase two of a run: the real pipeline on the real stack, watched while it clears the run's invoices.

Workers are started and awaited (every one in the group, partitions assigned) before the first invoice is
sent, so the figures describe a running pipeline, not one still starting. While the publisher sends, the
collector reads `invoices.scored`, the offset poller and the process sampler tick every second, and a
progress bar counts scored invoices. The phase ends when every invoice arrived, or when nothing arrived
for the stall timeout (the figures then say the run is incomplete).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from tqdm import tqdm

from config.settings import Settings
from config.topics import RECEIVED, SCORED, all_topics
from streams.reader import topic_reader
from streams.topics import topic_name
from tools.bench._collect import Arrival, ScoredCollector, wait_done, window_gate
from tools.bench._monitor import Group, OffsetPoller, OffsetSample, ProcessSampler, find_servers
from tools.bench._procs import start_workers, stop_children, wait_for_group
from tools.bench._publish import Prepared, TraceHeaders, make_producer, publish

_FINAL_OFFSETS_WAIT_S = 1.5  # the workers commit every second: one more poll sees the last commit


@dataclass(frozen=True, slots=True)
class Pace:
    """How invoices are published: at `rate` per second, or (None) as fast as a `window` in flight allows."""

    rate: float | None
    window: int


@dataclass(frozen=True, slots=True)
class Services:
    """What the workers need besides the stack: extra environment, and service processes to watch."""

    env: Mapping[str, str] = field(default_factory=dict)
    pids: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PipelineRun:
    """What the pipeline phase recorded."""

    sent_at: list[float]
    arrivals: list[Arrival]
    redelivered: int
    offsets: list[OffsetSample]
    processes: list[Group]
    machine_busy_s: float
    complete: bool


def _sampler(worker_pids: Sequence[int], services: Services) -> ProcessSampler:
    sampler = ProcessSampler()
    for i, pid in enumerate(worker_pids):
        sampler.add_pids(f"worker-{i}", [pid])
    for name, find in find_servers().items():
        sampler.add(name, find)
    sampler.add_pids("bench", [os.getpid()])
    for name, pid in services.pids.items():
        sampler.add_pids(name, [pid])
    return sampler


async def run_pipeline(settings: Settings, items: Sequence[Prepared], plan: Sequence[str], pace: Pace,
                       services: Services, work_dir: Path, stall_timeout_s: float, progress: bool) -> PipelineRun:
    """Start the workers of `plan`, publish `items` at `pace`, and record until all are scored."""
    children = start_workers(plan, settings.topic_prefix, settings.app_id, work_dir, services.env)
    try:
        await wait_for_group(settings.kafka_bootstrap, settings.app_id, len(plan), children)
        sampler = _sampler([c.proc.pid for c in children], services)
        poller = OffsetPoller(settings.kafka_bootstrap, settings.app_id,
                              [topic_name(settings, spec.name) for spec in all_topics(len(settings.retry_delays_s))])
        index_of = {item.key: i for i, item in enumerate(items)}
        with tqdm(total=len(items), unit="inv", file=sys.stderr, disable=not progress, smoothing=0.05,
                  desc="scored") as bar:
            collector = ScoredCollector(index_of, on_arrival=bar.update)
            async with topic_reader(settings, topic_name(settings, SCORED), from_beginning=True) as consumer:
                sent_at, complete = await _measure(settings, items, pace, collector, consumer, poller, sampler,
                                                   stall_timeout_s)
    finally:
        stop_children(children)
    return PipelineRun(sent_at, collector.arrivals, collector.redelivered, poller.samples, sampler.groups,
                       sampler.machine_busy_s, complete)


async def _measure(settings: Settings, items: Sequence[Prepared], pace: Pace, collector: ScoredCollector,
                   consumer: AIOKafkaConsumer, poller: OffsetPoller, sampler: ProcessSampler,
                   stall_timeout_s: float) -> tuple[list[float], bool]:
    sampler.start()
    tasks = [asyncio.create_task(collector.run(consumer)),
             asyncio.create_task(poller.run()), asyncio.create_task(sampler.run())]
    producer = make_producer(settings)
    await producer.start()
    sent_at = [math.nan] * len(items)
    try:
        gate = window_gate(pace.window, lambda: len(collector.arrivals), collector.moved) if pace.rate is None else None
        await publish(producer, topic_name(settings, RECEIVED), items, pace.rate, sent_at, TraceHeaders(settings),
                      gate=gate)
        complete = await wait_done(collector.done, lambda: len(collector.arrivals), stall_timeout_s)
        sampler.stop()
        await asyncio.sleep(_FINAL_OFFSETS_WAIT_S)
    finally:
        await producer.stop()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return sent_at, complete


def elapsed(sent_at: Sequence[float], arrivals: Sequence[Arrival]) -> tuple[float, float]:
    """(first send, last arrival) of a run (epoch seconds)."""
    first = min((t for t in sent_at if not math.isnan(t)), default=time.time())
    last = max((a.arrived_at for a in arrivals), default=first)
    return first, last
