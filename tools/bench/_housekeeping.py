"""Create and remove what a run leaves behind: its topics, its Redis keys and its PostgreSQL rows.

Each run owns a fresh topic prefix, app id (consumer group) and tenant, so runs never mix and cleaning up
is exact: every topic under the prefix, every Redis key under the prefix's namespace, every row of the
run's tenant. `--keep` skips all of it (to inspect a run with `invoiceflow tail`). Consumer groups cannot be
deleted with aiokafka's admin client; an idle one expires with the broker's offsets retention.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from config.settings import Settings
from streams.errors import DependencyUnavailable
from streams.sinks.redis import connect_redis


async def create_topics(settings: Settings, names: Sequence[str]) -> None:
    """Create `names` with the settings' partitions, replication and retention (existing ones are kept)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        await admin.create_topics([
            NewTopic(name=n, num_partitions=settings.topic_partitions, replication_factor=settings.topic_replication,
                     topic_configs={"retention.ms": str(settings.topic_retention_ms)})
            for n in names
        ])
    except TopicAlreadyExistsError:
        pass
    except KafkaError as exc:
        raise DependencyUnavailable(f"creating the benchmark topics failed: {exc}") from exc
    finally:
        await admin.close()


async def delete_topics(settings: Settings, prefix: str) -> int:
    """Delete every topic whose name starts with `prefix`; returns how many."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
        return len(names)
    finally:
        await admin.close()


async def delete_redis_keys(settings: Settings, prefix: str) -> int:
    """Delete the Redis keys of the run's namespace (the stores prefix keys with `invoiceflow:<prefix>`)."""
    client = connect_redis(settings.redis_url.get_secret_value())
    deleted = 0
    try:
        batch: list[bytes] = []
        async for key in client.scan_iter(match=f"invoiceflow:{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                deleted += int(await client.unlink(*batch))
                batch.clear()
        if batch:
            deleted += int(await client.unlink(*batch))
    finally:
        await client.aclose()
    return deleted


_TENANT_TABLES = """
SELECT table_name FROM information_schema.columns
WHERE column_name = 'tenant_id' AND table_schema = current_schema()
ORDER BY table_name
"""


async def delete_rows(settings: Settings, tenant: str) -> int:
    """Delete the run tenant's rows from every table keyed by tenant; returns how many rows in all.

    The tables are found by their `tenant_id` column rather than listed here, so the cleanup follows the
    migrations. A table still referenced by another's rows is retried after the others are emptied.
    """
    conn = await asyncpg.connect(settings.postgres_dsn.get_secret_value())
    deleted = 0
    try:
        pending = [str(r["table_name"]) for r in await conn.fetch(_TENANT_TABLES)]
        for _ in range(3):
            blocked = []
            for table in pending:
                try:
                    status = await conn.execute(f'DELETE FROM "{table}" WHERE tenant_id = $1', tenant)
                except asyncpg.ForeignKeyViolationError:
                    blocked.append(table)
                    continue
                deleted += int(str(status).rsplit(" ", 1)[-1])
            if not blocked:
                break
            pending = blocked
    finally:
        await conn.close()
    return deleted


async def clean_up(settings: Settings, prefix: str, tenant: str) -> str:
    """Remove the run's topics, keys and rows; returns a one-line summary."""
    topics = await delete_topics(settings, prefix)
    keys = await delete_redis_keys(settings, prefix)
    rows = await delete_rows(settings, tenant)
    return f"cleaned up {topics} topics, {keys} Redis keys, {rows} PostgreSQL rows"
