"""Read a topic with a plain aiokafka consumer: for `tail`, the demo, the benchmark and tests.

Reads without a consumer group (manual assignment of every partition), from the beginning or from the
current end, so reading never moves any application's committed offsets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError

from config.settings import Settings
from streams.errors import DependencyUnavailable
from streams.kafka_clients import partitions_of, reading_consumer


@asynccontextmanager
async def topic_reader(settings: Settings, topic: str, *, from_beginning: bool) -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer assigned to every partition of `topic`, positioned at its start or end."""
    consumer = reading_consumer(settings, fetch_max_wait_ms=50)
    try:
        await consumer.start()
    except KafkaError as exc:
        raise DependencyUnavailable(f"Kafka at {settings.kafka_bootstrap} did not answer") from exc
    try:
        tps = await partitions_of(consumer, [topic])
        if not tps:
            raise DependencyUnavailable(f"topic {topic} does not exist (run `invoiceflow topics create`)")
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
            for tp in tps:  # resolve the end position now, before anything new is produced
                await consumer.position(tp)
        yield consumer
    finally:
        await consumer.stop()


async def records(consumer: AIOKafkaConsumer, idle_timeout_s: float | None = None) -> AsyncIterator[ConsumerRecord]:
    """Records as they arrive; stops after `idle_timeout_s` with nothing new (None: never)."""
    timeout_ms = int((idle_timeout_s or 1.0) * 1000)
    while True:
        batch = await consumer.getmany(timeout_ms=timeout_ms, max_records=1000)
        if not batch and idle_timeout_s is not None:
            return
        for recs in batch.values():
            for rec in recs:
                yield rec
