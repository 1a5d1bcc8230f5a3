"""Kafka administration: create every topic of the registry, idempotently, before workers start.

Topics are created explicitly (the broker's auto-creation is off) so partition count, replication and
retention are what the settings say, not broker defaults.
"""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupCoordinatorNotAvailableError,
    GroupLoadInProgressError,
    KafkaError,
    NotCoordinatorForGroupError,
    TopicAlreadyExistsError,
)

from config.settings import Settings
from config.topics import all_topics
from streams.errors import DependencyUnavailable
from streams.kafka_clients import admin_client
from streams.topics import retention_ms, topic_name


async def ensure_topics(settings: Settings) -> list[str]:
    """Create any missing topic; return the names that were created."""
    async with admin_client(settings) as admin:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=topic_name(settings, spec.name),
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication,
                topic_configs={"retention.ms": str(retention_ms(settings, spec))},
            )
            for spec in all_topics(len(settings.retry_delays_s))
            if topic_name(settings, spec.name) not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass  # a concurrent worker won the race; the topics exist, which is all we need
            except KafkaError as exc:
                raise DependencyUnavailable(f"creating topics failed: {exc}") from exc
    return [t.name for t in wanted]


async def list_topics(settings: Settings) -> list[str]:
    """Names of this app's topics that exist on the broker."""
    async with admin_client(settings) as admin:
        existing = set(await admin.list_topics())
    specs = all_topics(len(settings.retry_delays_s))
    return [topic_name(settings, s.name) for s in specs if topic_name(settings, s.name) in existing]


# A fresh broker creates __consumer_offsets on the first coordinator lookup and answers "not available" (or
# "loading") until it is ready: for a waiter that means "not yet", not a failure.
_COORDINATOR_NOT_YET = (GroupCoordinatorNotAvailableError, GroupLoadInProgressError, NotCoordinatorForGroupError)


async def stable_members(admin: AIOKafkaAdminClient, group: str) -> int:
    """How many members `group` has once it is Stable; 0 while it is not (or its coordinator is not ready)."""
    try:
        described = (await admin.describe_consumer_groups([group]))[0].to_object()["groups"][0]
    except _COORDINATOR_NOT_YET:
        return 0
    return len(described["members"]) if described["state"] == "Stable" else 0


async def wait_for_workers(settings: Settings, timeout_s: float = 60.0) -> int:
    """Wait until the app's consumer group is stable with at least one member; returns the member count.

    Used by the demo and the benchmark so that latency is measured from a running pipeline, not from a
    worker still joining its group.
    """
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with admin_client(settings) as admin:
        while not (members := await stable_members(admin, settings.app_id)):
            if asyncio.get_running_loop().time() > deadline:
                raise DependencyUnavailable(f"no worker joined group {settings.app_id} within {timeout_s:.0f} s")
            await asyncio.sleep(0.2)
    return members
