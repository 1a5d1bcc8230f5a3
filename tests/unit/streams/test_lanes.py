"""The worker's consumer: one assignor only (aiokafka 0.14 sends a JoinGroup per assignor, and with two a
group could rebalance for minutes after kills), and it is range (co-partitioning)."""

from __future__ import annotations

from aiokafka.coordinator.assignors.range import RangePartitionAssignor

from config.settings import Settings
from streams.kafka_clients import worker_consumer, worker_producer


async def test_the_worker_consumer_uses_range_assignment_alone() -> None:
    consumer = worker_consumer(Settings())
    assert tuple(consumer._partition_assignment_strategy) == (RangePartitionAssignor,)


async def test_the_worker_producer_waits_the_configured_time_for_a_delivery() -> None:
    producer = worker_producer(Settings(producer_request_timeout_s=7))
    assert producer._request_timeout_ms == 7000
