"""PostgreSQL: vendor layouts (table `vendor_layouts`, migration 0009), and the extract stage's cached view.

The review stage reads a vendor's current layout, learns the next version from a reviewed text PDF and saves
it only over the version it learned on (and never twice for one review). The extract stage never asks per
invoice: `LayoutCache` loads every tenant's layouts in one query, parses them once, and keeps them for
`vendor_layouts_refresh_s` (a failed reload keeps the last ones), as `streams.training.ModelRoutes` does for
custom models.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
import orjson

from streams.errors import SinkError
from streams.sinks.reloaded import Reloaded

__all__ = ["LayoutCache", "PostgresLayouts", "StoredLayout"]

_log = logging.getLogger(__name__)
_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
T = TypeVar("T")

_ALL = "SELECT tenant_id, vendor, version, layout::text AS layout, learned_from FROM vendor_layouts"
_ONE = _ALL + " WHERE tenant_id = $1 AND vendor = $2"
_SAVE = """
INSERT INTO vendor_layouts AS v (tenant_id, vendor, version, layout, learned_from)
VALUES ($1, $2, $3, $4::jsonb, $5)
ON CONFLICT (tenant_id, vendor) DO UPDATE SET version = EXCLUDED.version, layout = EXCLUDED.layout,
  learned_from = EXCLUDED.learned_from, updated_at = now()
WHERE v.version = EXCLUDED.version - 1 AND v.learned_from <> EXCLUDED.learned_from
"""


@dataclass(frozen=True, slots=True)
class StoredLayout:
    """One row: a vendor's layout as stored (the body is `agents.layouts.layout_to_json`'s)."""

    tenant_id: str
    vendor: str
    version: int
    body: Mapping[str, Any]
    learned_from: str


def _row(r: Any) -> StoredLayout:
    return StoredLayout(r["tenant_id"], r["vendor"], r["version"], orjson.loads(r["layout"]), r["learned_from"])


class PostgresLayouts:
    """The layouts on an asyncpg pool (migrations applied); database errors become `SinkError`."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        try:
            async with self._pool.acquire() as conn:
                return list(await conn.fetch(sql, *args))
        except _DB_ERRORS as exc:
            raise SinkError(f"postgres vendor layouts: {type(exc).__name__}") from exc

    async def all(self) -> list[StoredLayout]:
        """Every tenant's layouts (one query)."""
        return [_row(r) for r in await self._fetch(_ALL)]

    async def current(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredLayout]:
        """The stored layout of each (tenant, vendor) that has one."""
        found: dict[tuple[str, str], StoredLayout] = {}
        for tenant, vendor in dict.fromkeys(keys):
            for r in await self._fetch(_ONE, tenant, vendor):
                found[(tenant, vendor)] = _row(r)
        return found

    async def save(self, layout: StoredLayout) -> bool:
        """Store a new version (1 for a new vendor); False when the stored one is not the version before it
        (another review got there first) or was learned from the same review."""
        try:
            async with self._pool.acquire() as conn:
                status = await conn.execute(_SAVE, layout.tenant_id, layout.vendor, layout.version,
                                            orjson.dumps(dict(layout.body)).decode(), layout.learned_from)
        except _DB_ERRORS as exc:
            raise SinkError(f"postgres vendor layouts: {type(exc).__name__}") from exc
        return str(status).endswith(" 1")


class LayoutCache(Generic[T]):
    """Every tenant's layouts, parsed once per load and reloaded at most every `refresh_s`."""

    def __init__(self, load: Callable[[], Awaitable[list[StoredLayout]]], parse: Callable[[StoredLayout], T],
                 refresh_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        async def grouped() -> dict[str, tuple[T, ...]]:
            by_tenant: dict[str, list[T]] = {}
            for row in await load():
                by_tenant.setdefault(row.tenant_id, []).append(parse(row))
            return {t: tuple(v) for t, v in by_tenant.items()}

        self._layouts: Reloaded[dict[str, tuple[T, ...]]] = Reloaded(grouped, {}, refresh_s, "vendor layouts", clock)

    @property
    def loads(self) -> int:
        """Successful loads so far."""
        return self._layouts.loads

    async def for_tenant(self, tenant_id: str) -> tuple[T, ...]:
        """The tenant's layouts (none: an empty tuple)."""
        return (await self._layouts.get()).get(tenant_id, ())
