"""Count what became of a scenario's invoices, from the stores and the dead-letter topics themselves.

* in: valid invoices upstream got acknowledged; out: distinct (tenant, invoice) rows in PostgreSQL;
* lost: valid invoices with no row (a valid invoice that was dead-lettered counts as lost too);
* duplicated: decisions beyond one per (tenant, invoice): every event id is derived from its input, so a
  redelivered invoice must come out as the very same decision, not a second one;
* Redis minus PostgreSQL: per tenant, the `scored` counter against the rows (counted once per event);
* dead letters by reason (the error-code header), and hostile records that did not end as dead letters.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from config.settings import Settings
from config.topics import STAGES, dead_letter_topic
from streams.deadletters import view_of
from streams.errors import UnreadableDeadLetter
from streams.headers import ERROR_HEADER, header
from streams.sinks.redis import RedisStores, connect_redis
from streams.topics import topic_name
from tools.chaos._load import Message


@dataclass(slots=True)
class Tally:
    """One scenario's figures (see the module docstring)."""

    scenario: str
    invoices_in: int = 0
    distinct_out: int = 0
    lost: int = 0
    duplicated: int = 0
    mismatch: dict[str, int] = field(default_factory=dict)
    dead_letters: Counter[str] = field(default_factory=Counter)
    """Dead letters by reason, each failed record once (by where it was consumed)."""
    dead_letter_repeats: int = 0
    """Dead letters sent again for a record already dead-lettered (at-least-once delivery)."""
    hostile: int = 0
    hostile_missed: int = 0
    workers_alive: int = 0
    workers_expected: int = 0
    unkillable: int = 0
    drain_s: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """0 lost, 0 duplicated, Redis == PostgreSQL, every hostile record dead-lettered, workers alive and
        stoppable, and drained in time."""
        return (self.lost == 0 and self.duplicated == 0 and not any(self.mismatch.values())
                and self.hostile_missed == 0 and self.workers_alive == self.workers_expected
                and self.unkillable == 0 and self.drain_s is not None)


async def rows(settings: Settings, tenants: Sequence[str]) -> tuple[set[tuple[str, str]], int]:
    """The (tenant, invoice) rows of `tenants`, and their decisions beyond one per invoice."""
    conn = await asyncpg.connect(settings.postgres_dsn.get_secret_value(), timeout=10)
    try:
        found = {(r["tenant_id"], r["invoice_id"]) for r in await conn.fetch(
            "SELECT tenant_id, invoice_id FROM invoices WHERE tenant_id = ANY($1::text[])", list(tenants))}
        extra = await conn.fetchval(
            "SELECT count(*) - count(DISTINCT (tenant_id, invoice_id)) FROM decisions"
            " WHERE tenant_id = ANY($1::text[])", list(tenants))
    finally:
        await conn.close()
    return found, int(extra or 0)


async def scored_counters(settings: Settings, tenants: Sequence[str]) -> dict[str, int]:
    """Redis's `scored` counter per tenant."""
    client = connect_redis(settings.redis_url.get_secret_value())
    try:
        stores = RedisStores(client, settings.topic_prefix)
        return {t: (await stores.read(t)).get(t, {}).get("scored", 0) for t in tenants}
    finally:
        await client.aclose()


async def dead_letters(settings: Settings) -> list[tuple[bytes | None, str, tuple[str, int, int] | None]]:
    """(key, reason, origin topic/partition/offset) of every record on the scenario's dead-letter topics."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    out: list[tuple[bytes | None, str, tuple[str, int, int] | None]] = []
    try:
        tps = []
        for stage in STAGES:
            topic = topic_name(settings, dead_letter_topic(stage))
            tps += [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not tps:
            await consumer._client.force_metadata_update()
            for stage in STAGES:
                topic = topic_name(settings, dead_letter_topic(stage))
                tps += [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    code = header(r.headers, ERROR_HEADER)
                    out.append((r.key, code.decode("utf-8", "replace") if code else "?", _origin(r)))
    finally:
        await consumer.stop()
    return out


def _origin(record: Any) -> tuple[str, int, int] | None:
    try:
        o = view_of(record).origin
    except UnreadableDeadLetter:
        return None
    return o.topic, o.partition, o.offset


async def tally(tally: Tally, settings: Settings, sent: Sequence[Message], tenants: Sequence[str],
                unreadable: int) -> Tally:
    """Fill `tally` from PostgreSQL, Redis and the dead-letter topics."""
    valid = {(m.tenant, m.key.decode()) for m in sent if m.valid}
    hostile_keys = Counter(m.key for m in sent if not m.valid)
    found, tally.duplicated = await rows(settings, tenants)
    tally.invoices_in, tally.distinct_out = len(valid), len(found & valid)
    tally.lost = len(valid - found)
    counters = await scored_counters(settings, tenants)
    per_tenant = Counter(t for t, _ in found)
    tally.mismatch = {t: counters.get(t, 0) - per_tenant.get(t, 0) for t in tenants}
    letters = await dead_letters(settings)
    once = {origin if origin is not None else id(key): (key, reason) for key, reason, origin in letters}
    tally.dead_letters = Counter(reason for _, reason in once.values())  # a failure counts once per origin
    tally.dead_letter_repeats = len(letters) - len(once)  # at-least-once: sent again after a rebalance
    seen = Counter(key for key, _ in once.values())
    tally.hostile = sum(hostile_keys.values()) + unreadable
    tally.hostile_missed = sum(max(0, n - seen.get(k, 0)) for k, n in hostile_keys.items())
    tally.hostile_missed += max(0, unreadable - tally.dead_letters.get("unreadable_record", 0))
    return tally
