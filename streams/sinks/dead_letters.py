"""PostgreSQL: the record of dead letters (table `dead_letters`, migration 0006), one row per origin.

A dead letter is named by where its record was consumed (topic, partition, offset), so writing one again (a
worker that dead-lettered a record and died before committing reads it again and dead-letters it again)
inserts nothing: the first row stays, as the first count stays in the Redis tables
(`MetricTables.count_dead_letters`, keyed the same way). A batch is one statement (the same origin twice
in one batch is recorded once: DO NOTHING skips the second).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from streams.errors import SinkError
from streams.sinks._pg_text import pg_texts
from streams.sinks._protocols import DeadLetterFact

_INSERT = """
INSERT INTO dead_letters (topic, part, "offset", tenant_id, invoice_id, stage, reason, failed_at)
SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::timestamptz[])
ON CONFLICT (topic, part, "offset") DO NOTHING
"""


class PostgresDeadLetters:
    """The dead-letter record on an asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def write_dead_letters(self, letters: Sequence[DeadLetterFact]) -> int:
        """Record each dead letter unless one from the same origin is recorded; returns how many were new."""
        if not letters:
            return 0
        try:
            async with self.pool.acquire() as conn:
                status = await conn.execute(
                    _INSERT, [d.topic for d in letters], [d.partition for d in letters], [d.offset for d in letters],
                    pg_texts(d.tenant_id for d in letters), pg_texts(d.invoice_id for d in letters),
                    [d.stage for d in letters], [d.reason for d in letters], [d.failed_at for d in letters])
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise SinkError(f"postgres dead letters: {type(exc).__name__}") from exc
        return int(str(status).rsplit(" ", 1)[-1])
