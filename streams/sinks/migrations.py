"""Apply the plain-SQL migrations in `streams/migrations/`, once each, in name order.

Each file is idempotent on its own (CREATE ... IF NOT EXISTS), and the runner records what it applied, under
an advisory lock so several workers starting together do not race.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

_LOCK_KEY = 0x1F_1F_0001


def migration_files() -> list[tuple[str, str]]:
    """(name, sql) of every migration shipped with the package, in order."""
    folder = resources.files("streams") / "migrations"
    files = sorted((f.name, f.read_text()) for f in folder.iterdir() if f.name.endswith(".sql"))
    return files


async def apply_migrations(conn: Any) -> list[str]:
    """Apply the migrations not yet recorded; returns their names."""
    applied: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, sql in migration_files():
            if name in done:
                continue
            await conn.execute(sql)
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied.append(name)
    return applied
