"""Plain aiokafka helpers for integration tests: produce raw values, collect a topic's records."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from config.settings import Settings


async def produce(settings: Settings, topic: str, items: Sequence[tuple[bytes, bytes]],
                  headers: Sequence[tuple[str, bytes]] = ()) -> None:
    """Send (key, value) pairs (each with `headers`) with a plain producer and wait for every ack."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key, headers=list(headers)) for key, value in items]
        for fut in futures:
            await fut
    finally:
        await producer.stop()


async def collect(settings: Settings, topic: str, until: Callable[[list[ConsumerRecord]], bool],
                  timeout_s: float) -> list[ConsumerRecord]:
    """Read `topic` from the beginning with a plain consumer until `until(records)` or the timeout."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    got: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout_s
        parts: set[int] = set()
        while not parts and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in parts])
        await consumer.seek_to_beginning()
        while time.monotonic() < deadline and not until(got):
            batch = await consumer.getmany(timeout_ms=500)
            for recs in batch.values():
                got.extend(recs)
    finally:
        await consumer.stop()
    return got
