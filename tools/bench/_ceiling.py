"""Ceiling (a): the same broker, partitions, payloads and process count, with no processing at all.

The chain has as many consume -> produce hops as the pipeline has stages; hop i writes payloads captured
from the run's own topics (the events of the stage it stands for), so message sizes are the real ones. It is
driven exactly as the pipeline was (the same publisher, as fast as possible) and measured the same way
(steady-window throughput at the end of the chain), so the two figures compare like for like.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from config.settings import Settings
from streams.reader import topic_reader
from tools.bench._collect import KeyCollector, wait_done, window_gate
from tools.bench._housekeeping import create_topics
from tools.bench._monitor import ProcessSampler, find_servers
from tools.bench._procs import start_child, stop_children, wait_for_group
from tools.bench._publish import Prepared, TraceHeaders, make_producer, publish
from tools.bench._rawhop import HopSpec
from tools.bench._stats import sustained

CAPTURE_PER_TOPIC = 200


@dataclass(frozen=True, slots=True)
class RawChain:
    """What the raw chain reached."""

    per_s: float
    arrived: int
    published: int
    hop_cpu_us: float  # CPU of the hop processes per message per hop
    broker_cpu_us: float  # CPU of the broker per message per hop


async def capture(settings: Settings, topics: Sequence[str]) -> list[tuple[bytes, ...]]:
    """Up to `CAPTURE_PER_TOPIC` message values of each topic (from its beginning)."""
    captured: list[tuple[bytes, ...]] = []
    for topic in topics:
        values: list[bytes] = []
        async with topic_reader(settings, topic, from_beginning=True) as consumer:
            for _ in range(20):
                batch = await consumer.getmany(timeout_ms=250, max_records=CAPTURE_PER_TOPIC)
                values += [r.value for recs in batch.values() for r in recs if r.value]
                if len(values) >= CAPTURE_PER_TOPIC or (values and not batch):
                    break
        if not values:
            raise RuntimeError(f"nothing to capture on {topic}")
        captured.append(tuple(values[:CAPTURE_PER_TOPIC]))
    return captured


async def run_raw_chain(settings: Settings, prefix: str, payloads: Sequence[tuple[bytes, ...]], count: int,
                        processes: int, work_dir: Path, stall_timeout_s: float, window: int) -> RawChain:
    """Run the chain (`len(payloads)` hops; `payloads[0]` are what is published) and measure it."""
    hops = len(payloads)
    topics = tuple(f"{prefix}raw.hop{i}" for i in range(hops + 1))
    await create_topics(settings, topics)
    group = f"{prefix}raw"
    spec = HopSpec(settings.kafka_bootstrap, group, topics, (*tuple(payloads[1:]), payloads[-1]),
                   settings.producer_linger_ms, settings.producer_max_batch_bytes)
    spec_path = work_dir / "rawhop.json"
    spec.dump(spec_path)
    children = [start_child(f"rawhop-{i}", ["tools.bench._rawhop", str(spec_path)], {}, work_dir)
                for i in range(processes)]
    sampler = ProcessSampler()
    try:
        await wait_for_group(settings.kafka_bootstrap, group, processes, children)
        sampler.add_pids("hops", [c.proc.pid for c in children])
        sampler.add("kafka", find_servers()["kafka"])
        items = [Prepared(f"raw-{i}".encode(), payloads[0][i % len(payloads[0])]) for i in range(count)]
        collector = KeyCollector(count)
        async with topic_reader(settings, topics[-1], from_beginning=True) as consumer:
            sampler.start()
            sent = [math.nan] * count
            arrived = await _drive(settings, topics[0], items, sent, collector, consumer, stall_timeout_s, window)
            sampler.stop()
    finally:
        stop_children(children)
    hops_cpu, broker_cpu = (g.cpu_s for g in sampler.groups)
    per_msg = max(1, len(collector.arrived_at)) * hops
    per_s = sustained(sent, collector.arrived_at, None, window)[0]
    return RawChain(per_s, arrived, count, hops_cpu / per_msg * 1e6, broker_cpu / per_msg * 1e6)


async def _drive(settings: Settings, topic: str, items: Sequence[Prepared], sent: list[float], collector: KeyCollector,
                 consumer: AIOKafkaConsumer, stall_timeout_s: float, window: int) -> int:
    reading = asyncio.create_task(collector.run(consumer))
    producer = make_producer(settings)
    await producer.start()
    try:
        gate = window_gate(window, lambda: len(collector.arrived_at), collector.moved)
        await publish(producer, topic, items, None, sent, TraceHeaders(settings), stamped=False, gate=gate)
        await wait_done(collector.done, lambda: len(collector.arrived_at), stall_timeout_s)
    finally:
        await producer.stop()
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
    return len(collector.arrived_at)
