"""PostgreSQL: the API's bearer tokens (table `api_tokens`, migration 0006), stored as their SHA-256 only.

A token is 32 random bytes (URL-safe base64 behind an `ifl_` prefix, so a leaked one is easy to recognise
and scan for) shown once, when it is made; the table keeps its SHA-256, an id to list and revoke it by, the
tenant it speaks for (none for an admin token) and a label. A plain hash is enough: the token is random and
as long as the hash, so there is nothing to guess a preimage from, and the service can look a presented
token up by its hash in a dict. Revoked tokens stay listed, with the time they were revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from streams.errors import ConfigError, SinkError

_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
TOKEN_PREFIX = "ifl_"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What is known about a token, never the token itself."""

    token_id: str
    tenant_id: str | None
    """None for an admin token (every tenant)."""
    label: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def admin(self) -> bool:
        """Whether the token sees every tenant."""
        return self.tenant_id is None


def new_token() -> str:
    """A fresh random token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """The SHA-256 a token is stored and looked up by."""
    return hashlib.sha256(token.encode()).digest()


class TokenStore:
    """The token table on an asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def add(self, tenant_id: str | None, label: str | None = None) -> tuple[TokenInfo, str]:
        """Make a token for `tenant_id` (None: an admin token); returns what is stored and the token itself."""
        if tenant_id is not None and not tenant_id.strip():
            raise ConfigError("a tenant token needs a tenant id")
        token = new_token()
        row = await self._fetchrow(
            "INSERT INTO api_tokens (token_id, sha256, tenant_id, admin, label) VALUES ($1, $2, $3, $4, $5)"
            " RETURNING *", secrets.token_hex(6), token_hash(token), tenant_id, tenant_id is None, label)
        assert row is not None
        return _info(row), token

    async def tokens(self) -> list[TokenInfo]:
        """Every token, revoked ones included, oldest first."""
        try:
            async with self.pool.acquire() as conn:
                rows = await conn.fetch("SELECT * FROM api_tokens ORDER BY created_at, token_id")
        except _DB_ERRORS as exc:
            raise SinkError(f"postgres tokens: {type(exc).__name__}") from exc
        return [_info(r) for r in rows]

    async def revoke(self, token_id: str) -> bool:
        """Revoke a token; False when no live token has that id."""
        row = await self._fetchrow("UPDATE api_tokens SET revoked_at = now() WHERE token_id = $1"
                                   " AND revoked_at IS NULL RETURNING token_id", token_id)
        return row is not None

    async def delete(self, token_id: str) -> bool:
        """Forget a token altogether (benchmarks and tests clean up with this; operators revoke)."""
        return await self._fetchrow("DELETE FROM api_tokens WHERE token_id = $1 RETURNING token_id",
                                    token_id) is not None

    async def active(self) -> dict[bytes, TokenInfo]:
        """Every live token by its SHA-256 (what the service checks presented tokens against)."""
        try:
            async with self.pool.acquire() as conn:
                rows = await conn.fetch("SELECT * FROM api_tokens WHERE revoked_at IS NULL")
        except _DB_ERRORS as exc:
            raise SinkError(f"postgres tokens: {type(exc).__name__}") from exc
        return {bytes(r["sha256"]): _info(r) for r in rows}

    async def _fetchrow(self, sql: str, *args: object) -> Any:
        try:
            async with self.pool.acquire() as conn:
                return await conn.fetchrow(sql, *args)
        except _DB_ERRORS as exc:
            raise SinkError(f"postgres tokens: {type(exc).__name__}") from exc


def _info(row: Any) -> TokenInfo:
    return TokenInfo(row["token_id"], row["tenant_id"], row["label"], row["created_at"], row["revoked_at"])
