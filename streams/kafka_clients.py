"""Every Kafka client the product makes, built here and nowhere else, so their settings are read in one place.

- `worker_consumer` / `worker_producer`: the stage worker's pair (group, assignor, batching, timeouts).
- `edge_producer`: what enters the pipeline from outside it or again (publishing, replaying dead letters):
  idempotent, acknowledged by every replica, the same key -> partition rule as the workers.
- `reading_consumer`: reads without a consumer group (`tail`, the dead-letter scan, the live feed, the lag),
  so reading never moves any application's committed offsets; `partitions_of` finds what it may assign.
- `admin_client` / `new_admin`: topic administration and group offsets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import TopicPartition

from config.settings import Settings
from streams.errors import DependencyUnavailable
from streams.partitioning import kafka_partitioner


def worker_producer(settings: Settings) -> AIOKafkaProducer:
    """The worker's producer: acks from every replica, the settings' batching, Kafka's key -> partition rule."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_max_batch_bytes, acks="all", partitioner=kafka_partitioner,
        request_timeout_ms=round(settings.producer_request_timeout_s * 1000),
    )


def worker_consumer(settings: Settings) -> AIOKafkaConsumer:
    """The worker's consumer in the app's group: offsets committed by hand, fewer and fuller fetches, and
    partitions assigned by range, so partition p of every topic goes to the same worker (co-partitioned:
    an invoice's events, keyed by its id, stay in one process from stage to stage).

    Range is the only assignor: aiokafka 0.14 sends one JoinGroup per configured assignor, and with two a
    group that lost members under load could rebalance for minutes (generation 150+) instead of settling."""
    timeout_s = settings.session_timeout_s
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=settings.app_id, enable_auto_commit=False,
        auto_offset_reset="earliest", session_timeout_ms=round(timeout_s * 1000),
        heartbeat_interval_ms=round(min(3.0, timeout_s / 3) * 1000),
        fetch_min_bytes=settings.fetch_min_bytes, fetch_max_wait_ms=settings.fetch_max_wait_ms,
        partition_assignment_strategy=(RangePartitionAssignor,),
    )


def edge_producer(settings: Settings) -> AIOKafkaProducer:
    """A producer for what enters the pipeline: idempotent (a retried send is written once), acks from every
    replica, the settings' batching, and the workers' key -> partition rule."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_max_batch_bytes, acks="all", enable_idempotence=True,
        partitioner=kafka_partitioner,
    )


def reading_consumer(settings: Settings, **options: object) -> AIOKafkaConsumer:
    """A consumer without a group (it commits nothing and joins nothing), for `options` on top of that."""
    return AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, group_id=None,
                            **options)


async def partitions_of(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of those of `topics` that exist now, asked of the cluster (one metadata request for all
    topics: a consumer's own metadata covers only what it is assigned)."""
    cluster = await consumer._client.fetch_all_metadata()
    return [TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t) or ())]


def new_admin(settings: Settings, request_timeout_s: float = 15.0) -> AIOKafkaAdminClient:
    """An admin client, not started (for one kept open; `admin_client` for one use)."""
    return AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                               request_timeout_ms=round(request_timeout_s * 1000))


@asynccontextmanager
async def admin_client(settings: Settings, request_timeout_s: float = 15.0) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, closed after; `DependencyUnavailable` when Kafka does not answer."""
    admin = new_admin(settings, request_timeout_s)
    try:
        await admin.start()
    except KafkaConnectionError as exc:
        raise DependencyUnavailable(f"Kafka at {settings.kafka_bootstrap} did not answer") from exc
    try:
        yield admin
    finally:
        await admin.close()
