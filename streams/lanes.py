"""What the Kafka worker (`streams/kafka_worker.py`) is made of besides its clients (`streams.kafka_clients`):
a lane per stage, the topics a stage reads, and why each partition is paused. The
loop that drives them is there.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition

from config.settings import Settings
from config.topics import STAGES, retry_topic
from streams.stage import StageRunner
from streams.topics import topic_name

Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(slots=True)
class Lane:
    """One stage in this worker: its runner; for a windowed stage its queue and running tasks; for a
    lingering one (the sinks) the records gathered towards a fuller batch, and since when."""

    runner: StageRunner
    window: int
    linger_s: float = 0.0
    queue: deque[Record] = field(default_factory=deque)
    running: set[asyncio.Task[None]] = field(default_factory=set)
    paused: bool = False
    gathered: list[Record] = field(default_factory=list)
    gathered_since: float = 0.0
    outage_tries: int = 0
    """Batches in a row that found a dependency down (0: none is): the next try waits longer each time."""
    outage_since: float = 0.0


def subscriptions(settings: Settings, stages: Sequence[str]) -> dict[str, str]:
    """Full topic name -> stage, for the source and every retry tier's topic of `stages`."""
    names: dict[str, str] = {}
    for stage in stages:
        names[topic_name(settings, STAGES[stage][0])] = stage
        for tier in range(1, len(settings.retry_delays_s) + 1):
            names[topic_name(settings, retry_topic(stage, tier))] = stage
    return names


class Pauses:
    """Why each partition is paused. A partition is paused by the first reason and resumed only when its last
    reason is gone, so the parts of the worker that pause (parked records, a full window, failing delivery)
    never resume one another's partitions."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self._why: dict[TopicPartition, set[str]] = {}

    def add(self, why: str, tps: Iterable[TopicPartition]) -> None:
        """Pause `tps` for `why` (partitions not assigned to this worker are ignored)."""
        owned = self._consumer.assignment()
        fresh = []
        for tp in tps:
            if tp not in owned:
                continue
            reasons = self._why.setdefault(tp, set())
            if not reasons:
                fresh.append(tp)
            reasons.add(why)
        if fresh:
            self._consumer.pause(*fresh)

    def remove(self, why: str, tps: Iterable[TopicPartition] | None = None) -> None:
        """Take `why` back from `tps` (all partitions when None); resume those left with no reason."""
        free = []
        for tp in list(self._why) if tps is None else tps:
            reasons = self._why.get(tp)
            if reasons is None or why not in reasons:
                continue
            reasons.discard(why)
            if not reasons:
                del self._why[tp]
                free.append(tp)
        owned = self._consumer.assignment()
        if free := [tp for tp in free if tp in owned]:
            self._consumer.resume(*free)

    def paused_for(self, why: str) -> set[TopicPartition]:
        """The partitions paused (among other reasons) for `why`."""
        return {tp for tp, reasons in self._why.items() if why in reasons}

    def reset(self) -> None:
        """Forget every reason: a new assignment starts with nothing paused."""
        self._why.clear()
