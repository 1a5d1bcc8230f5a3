"""Never pay twice: where submitted analyses and their results are remembered, and how that is used.

An analyze is billed when the service accepts it, so its operation location is stored (keyed by tenant,
document sha256 and model) before the first poll. Whatever happens next (a crash mid-poll, a redelivery,
a replay of the topic) the next attempt finds the row: a stored result is reused without any request; an
operation younger than the service's 24 h retention is polled again; only an older one is submitted anew.
`resume_action` is that decision as a pure function. `PostgresOperationStore` is the production store
(table `paid_operations`, migration 0003); `MemoryOperationStore` serves unit tests and the benchmark.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

import asyncpg
import orjson

from streams.errors import SinkError

RESULT_TTL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class StoredOperation:
    """One row: a submitted analysis and, once read, its (compacted) result."""

    tenant_id: str
    sha256: str
    model_id: str
    endpoint: str
    operation_location: str
    submitted_at: datetime
    result: Mapping[str, Any] | None = None
    pages: int | None = None
    usd: Decimal | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Billed:
    """Pages and dollars billed to one tenant on one (UTC) day."""

    pages: int = 0
    usd: Decimal = Decimal(0)


class ResumeAction(StrEnum):
    """What to do for a document, given what the store remembers."""

    REUSE = "reuse"
    RESUME = "resume"
    SUBMIT = "submit"


def resume_action(
    stored: StoredOperation | None,
    now: datetime,
    endpoints: Collection[str],
    ttl: timedelta = RESULT_TTL,
) -> ResumeAction:
    """Reuse a stored result; resume a live operation on an endpoint we still have; otherwise submit."""
    if stored is None:
        return ResumeAction.SUBMIT
    if stored.result is not None:
        return ResumeAction.REUSE
    if now - stored.submitted_at < ttl and stored.endpoint in endpoints:
        return ResumeAction.RESUME
    return ResumeAction.SUBMIT


def compact_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """What is worth keeping of an analyzeResult: the documents and the page list, not the page text."""
    pages = [
        {k: p[k] for k in ("pageNumber", "width", "height", "unit") if k in p} for p in result.get("pages", ())
    ]
    keep = {k: result[k] for k in ("apiVersion", "modelId", "documents") if k in result}
    return {**keep, "pages": pages}


class OperationStore(Protocol):
    """Where submitted operations and their results live."""

    async def get(self, tenant_id: str, sha256: str, model_id: str) -> StoredOperation | None: ...

    async def put_submitted(
        self,
        tenant_id: str,
        sha256: str,
        model_id: str,
        endpoint: str,
        operation_location: str,
        submitted_at: datetime,
    ) -> None: ...

    async def put_result(
        self,
        tenant_id: str,
        sha256: str,
        model_id: str,
        result: Mapping[str, Any],
        pages: int,
        usd: Decimal,
        completed_at: datetime,
    ) -> None: ...

    async def billed_on(self, tenant_id: str, day: date) -> Billed: ...


class MemoryOperationStore:
    """A dict-backed store for unit tests and the in-process benchmark."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], StoredOperation] = {}

    async def get(self, tenant_id: str, sha256: str, model_id: str) -> StoredOperation | None:
        return self.rows.get((tenant_id, sha256, model_id))

    async def put_submitted(
        self,
        tenant_id: str,
        sha256: str,
        model_id: str,
        endpoint: str,
        operation_location: str,
        submitted_at: datetime,
    ) -> None:
        row = StoredOperation(tenant_id, sha256, model_id, endpoint, operation_location, submitted_at)
        self.rows[(tenant_id, sha256, model_id)] = row

    async def put_result(
        self,
        tenant_id: str,
        sha256: str,
        model_id: str,
        result: Mapping[str, Any],
        pages: int,
        usd: Decimal,
        completed_at: datetime,
    ) -> None:
        key = (tenant_id, sha256, model_id)
        row = self.rows[key]
        self.rows[key] = replace(row, result=dict(result), pages=pages, usd=usd, completed_at=completed_at)

    async def billed_on(self, tenant_id: str, day: date) -> Billed:
        rows = [
            r
            for r in self.rows.values()
            if r.tenant_id == tenant_id and r.completed_at is not None and r.completed_at.date() == day
        ]
        return Billed(sum(r.pages or 0 for r in rows), sum((r.usd or Decimal(0) for r in rows), Decimal(0)))


_GET = """SELECT tenant_id, sha256, model_id, endpoint, operation_location, submitted_at, result::text AS result,
  pages, cost_usd, completed_at FROM paid_operations WHERE tenant_id = $1 AND sha256 = $2 AND model_id = $3"""
_PUT_SUBMITTED = """INSERT INTO paid_operations (tenant_id, sha256, model_id, endpoint, operation_location,
  submitted_at) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (tenant_id, sha256, model_id) DO UPDATE SET endpoint = EXCLUDED.endpoint,
  operation_location = EXCLUDED.operation_location, submitted_at = EXCLUDED.submitted_at,
  result = NULL, pages = NULL, cost_usd = NULL, completed_at = NULL"""
_PUT_RESULT = """UPDATE paid_operations SET result = $4::jsonb, pages = $5, cost_usd = $6, completed_at = $7
  WHERE tenant_id = $1 AND sha256 = $2 AND model_id = $3"""
_BILLED = """SELECT COALESCE(SUM(pages), 0)::int AS pages, COALESCE(SUM(cost_usd), 0) AS usd
  FROM paid_operations WHERE tenant_id = $1 AND completed_at >= $2 AND completed_at < $3"""
_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


class PostgresOperationStore:
    """The production store, on an asyncpg pool; database errors become `SinkError` (retriable)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def get(self, tenant_id: str, sha256: str, model_id: str) -> StoredOperation | None:
        try:
            row = await self._pool.fetchrow(_GET, tenant_id, sha256, model_id)
        except _DB_ERRORS as exc:
            raise SinkError(f"reading paid_operations failed: {type(exc).__name__}") from exc
        if row is None:
            return None
        raw = row["result"]
        return StoredOperation(
            tenant_id=row["tenant_id"],
            sha256=row["sha256"],
            model_id=row["model_id"],
            endpoint=row["endpoint"],
            operation_location=row["operation_location"],
            submitted_at=row["submitted_at"],
            result=orjson.loads(raw) if raw is not None else None,
            pages=row["pages"],
            usd=row["cost_usd"],
            completed_at=row["completed_at"],
        )

    async def put_submitted(
        self,
        tenant_id: str,
        sha256: str,
        model_id: str,
        endpoint: str,
        operation_location: str,
        submitted_at: datetime,
    ) -> None:
        args = (tenant_id, sha256, model_id, endpoint, operation_location, submitted_at)
        try:
            await self._pool.execute(_PUT_SUBMITTED, *args)
        except _DB_ERRORS as exc:
            raise SinkError(f"storing a paid operation failed: {type(exc).__name__}") from exc

    async def put_result(
        self,
        tenant_id: str,
        sha256: str,
        model_id: str,
        result: Mapping[str, Any],
        pages: int,
        usd: Decimal,
        completed_at: datetime,
    ) -> None:
        payload = orjson.dumps(result).decode()
        try:
            await self._pool.execute(
                _PUT_RESULT, tenant_id, sha256, model_id, payload, pages, usd, completed_at
            )
        except _DB_ERRORS as exc:
            raise SinkError(f"storing a paid result failed: {type(exc).__name__}") from exc

    async def billed_on(self, tenant_id: str, day: date) -> Billed:
        start = datetime.combine(day, time(0), tzinfo=UTC)
        try:
            row = await self._pool.fetchrow(_BILLED, tenant_id, start, start + timedelta(days=1))
        except _DB_ERRORS as exc:
            raise SinkError(f"reading paid spend failed: {type(exc).__name__}") from exc
        return Billed(int(row["pages"]), Decimal(row["usd"]))
