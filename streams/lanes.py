"""What the Kafka worker (`streams/kafka_worker.py`) is made of: a lane per stage, the stage runner's producer
port and host, and the topics a stage reads. Plain data and one adapter; the loop that drives them is there.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from config.settings import Settings
from config.topics import STAGES, retry_topic
from streams.stage import StageRunner
from streams.topics import topic_name
from streams.tracing import Headers


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
