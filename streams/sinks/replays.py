"""PostgreSQL: the record of dead-letter replays (migration 0005), what `dlq replay` and `dlq history` read.

A replay run is one row of `dlq_replays` (who, when, which stage and filter, counts, outcome); every dead
letter it put back is one row of `dlq_replayed`, keyed by where the dead letter sits (topic, partition,
offset). A dead letter is written there only after Kafka acknowledged its replay, so a crash in between
replays it again next time (at-least-once, like everything else) rather than never.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from streams.errors import SinkError

_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)

Spot = tuple[str, int, int]
"""Where a dead letter sits: topic, partition, offset."""


@dataclass(frozen=True, slots=True)
class Replayed:
    """One dead letter a replay put back."""

    spot: Spot
    tenant_id: str | None
    invoice_id: str | None
    reason: str
    replays: int


@dataclass(frozen=True, slots=True)
class ReplayRun:
    """One row of the history."""

    replay_id: str
    operator: str
    stage: str
    filter: dict[str, Any]
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    outcome: str


_COUNTS = ("scanned", "matched", "replayed", "already", "refused", "unreadable")


class ReplayLog:
    """The replay record on an asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def begin(self, replay_id: str, prefix: str, operator: str, stage: str, filter_: Mapping[str, object],
                    dry_run: bool, at: datetime) -> None:
        """Record that a replay started (in the deployment of topic prefix `prefix`)."""
        await self._execute(
            "INSERT INTO dlq_replays (replay_id, topic_prefix, operator, stage, filter, dry_run, started_at)"
            " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)",
            replay_id, prefix, operator, stage, json.dumps(dict(filter_), default=str), dry_run, at)

    async def already(self, spots: Sequence[Spot]) -> set[Spot]:
        """Which of `spots` an earlier replay put back."""
        if not spots:
            return set()
        try:
            async with self.pool.acquire() as conn:
                rows = await conn.fetch(
                    'SELECT topic, part, "offset" FROM dlq_replayed d'
                    ' JOIN unnest($1::text[], $2::int[], $3::bigint[]) AS s(topic, part, "offset")'
                    ' USING (topic, part, "offset")',
                    [s[0] for s in spots], [s[1] for s in spots], [s[2] for s in spots])
        except _DB_ERRORS as exc:
            raise SinkError(f"postgres replay log: {type(exc).__name__}") from exc
        return {(r["topic"], r["part"], r["offset"]) for r in rows}

    async def record(self, replay_id: str, done: Sequence[Replayed], at: datetime) -> None:
        """Record dead letters whose replay Kafka acknowledged (a forced replay takes the row over)."""
        if not done:
            return
        await self._execute(
            'INSERT INTO dlq_replayed (topic, part, "offset", replay_id, replayed_at, tenant_id, invoice_id,'
            " reason, replays)"
            " SELECT t, p, o, $4, $5, te, i, r, n FROM unnest($1::text[], $2::int[], $3::bigint[], $6::text[],"
            " $7::text[], $8::text[], $9::int[]) AS u(t, p, o, te, i, r, n)"
            ' ON CONFLICT (topic, part, "offset") DO UPDATE SET replay_id = EXCLUDED.replay_id,'
            " replayed_at = EXCLUDED.replayed_at, replays = EXCLUDED.replays",
            [d.spot[0] for d in done], [d.spot[1] for d in done], [d.spot[2] for d in done], replay_id, at,
            [d.tenant_id for d in done], [d.invoice_id for d in done], [d.reason for d in done],
            [d.replays for d in done])

    async def finish(self, replay_id: str, counts: Mapping[str, int], outcome: str, at: datetime) -> None:
        """Record how a replay ended."""
        await self._execute(
            "UPDATE dlq_replays SET finished_at = $2, outcome = $3, scanned = $4, matched = $5, replayed = $6,"
            " already = $7, refused = $8, unreadable = $9 WHERE replay_id = $1",
            replay_id, at, outcome, *[int(counts.get(c, 0)) for c in _COUNTS])

    async def history(self, prefix: str, limit: int, stage: str | None = None) -> list[ReplayRun]:
        """The latest replay runs of the deployment of topic prefix `prefix`, newest first."""
        try:
            async with self.pool.acquire() as conn:
                rows = await conn.fetch(
                    "SELECT * FROM dlq_replays WHERE topic_prefix = $1 AND ($3::text IS NULL OR stage = $3)"
                    " ORDER BY started_at DESC LIMIT $2", prefix, limit, stage)
        except _DB_ERRORS as exc:
            raise SinkError(f"postgres replay log: {type(exc).__name__}") from exc
        return [ReplayRun(r["replay_id"], r["operator"], r["stage"], json.loads(r["filter"]), r["dry_run"],
                          r["started_at"], r["finished_at"], {c: r[c] for c in _COUNTS}, r["outcome"])
                for r in rows]

    async def _execute(self, sql: str, *args: object) -> None:
        try:
            async with self.pool.acquire() as conn:
                await conn.execute(sql, *args)
        except _DB_ERRORS as exc:
            raise SinkError(f"postgres replay log: {type(exc).__name__}") from exc
