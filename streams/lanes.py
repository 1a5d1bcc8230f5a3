"""What the Kafka worker (`streams/kafka_worker.py`) is made of: its consumer and producer, a lane per stage,
the stage runner's producer port and host, and the topics a stage reads. The loop that drives them is there.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.structs import ConsumerRecord

from config.settings import Settings
from config.topics import STAGES, retry_topic
from streams.partitioning import kafka_partitioner
from streams.stage import StageRunner
from streams.topics import topic_name
from streams.tracing import Headers


def worker_producer(settings: Settings) -> AIOKafkaProducer:
    """The worker's producer: acks from every replica, the settings' batching, Kafka's key -> partition rule."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_max_batch_bytes, acks="all", partitioner=kafka_partitioner,
    )


def worker_consumer(settings: Settings) -> AIOKafkaConsumer:
    """The worker's consumer in the app's group: offsets committed by hand, fewer and fuller fetches, and
    partitions assigned by range, so partition p of every topic goes to the same worker (co-partitioned:
    an invoice's events, keyed by its id, stay in one process from stage to stage). Round robin is listed
    second only so that a rolling upgrade from workers that knew nothing else can still form a group."""
    timeout_s = settings.session_timeout_s
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=settings.app_id, enable_auto_commit=False,
        auto_offset_reset="earliest", session_timeout_ms=round(timeout_s * 1000),
        heartbeat_interval_ms=round(min(3.0, timeout_s / 3) * 1000),
        fetch_min_bytes=settings.fetch_min_bytes, fetch_max_wait_ms=settings.fetch_max_wait_ms,
        partition_assignment_strategy=(RangePartitionAssignor, RoundRobinPartitionAssignor),
    )


class KafkaSend:
    """The stage runner's producer port over an `AIOKafkaProducer` (Faust's argument order)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def send(self, topic: str, key: bytes, value: bytes, _partition: Any, _ts: Any, headers: Headers) -> Any:
        return await self._producer.send(topic, value, key=key, headers=headers)


@dataclass(slots=True)
class RunnerHost:
    """What a `StageRunner` needs from its host: settings, a tracer and a producer."""

    invoiceflow_settings: Settings
    invoiceflow_tracer: Any
    producer: KafkaSend


@dataclass(slots=True)
class Lane:
    """One stage in this worker: its runner; for a windowed stage its queue and running tasks; for a
    lingering one (the sinks) the records gathered towards a fuller batch, and since when."""

    runner: StageRunner
    window: int
    linger_s: float = 0.0
    queue: deque[ConsumerRecord[bytes, bytes]] = field(default_factory=deque)
    running: set[asyncio.Task[None]] = field(default_factory=set)
    paused: bool = False
    gathered: list[ConsumerRecord[bytes, bytes]] = field(default_factory=list)
    gathered_since: float = 0.0


def subscriptions(settings: Settings, stages: Sequence[str]) -> dict[str, str]:
    """Full topic name -> stage, for the source and retry topics of `stages`."""
    names: dict[str, str] = {}
    for stage in stages:
        names[topic_name(settings, STAGES[stage][0])] = stage
        names[topic_name(settings, retry_topic(stage))] = stage
    return names
