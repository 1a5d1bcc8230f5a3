"""Who is asking: bearer tokens checked against hashes held in memory, and what each token may see.

The service never reaches PostgreSQL to check a token: the hashes of the live tokens are loaded at start-up
and reloaded in the background (`service_token_refresh_s`), so a request costs one SHA-256 and one dict
lookup, and a new or revoked token takes effect within one refresh. Until the first load succeeds every
request is refused with 503 (the service cannot tell a good token from a bad one yet), never let through.

A tenant token sees its own tenant only: naming another one is 403. An admin token sees every tenant, and
all of them together when it names none. The token is read from the Authorization header only (a query
parameter would end up in access logs and browser histories), and neither it nor its hash is ever logged.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import HTTPException

from streams.sinks.tokens import TokenInfo, token_hash


@dataclass(frozen=True, slots=True)
class Principal:
    """The holder of a valid token."""

    token_id: str
    tenant_id: str | None
    """None for an admin."""


class TokenCache:
    """The live tokens' hashes, swapped whole at each refresh."""

    def __init__(self) -> None:
        self._by_hash: dict[bytes, Principal] = {}
        self._loaded_at: float | None = None

    def replace(self, active: Mapping[bytes, TokenInfo]) -> None:
        """Take the live tokens as loaded just now."""
        self._by_hash = {digest: Principal(info.token_id, info.tenant_id) for digest, info in active.items()}
        self._loaded_at = time.monotonic()

    @property
    def size(self) -> int:
        """Live tokens known."""
        return len(self._by_hash)

    def age_s(self) -> float:
        """Seconds since the last successful load (infinite before the first)."""
        return float("inf") if self._loaded_at is None else time.monotonic() - self._loaded_at

    def principal(self, token: str | None) -> Principal:
        """Who presents `token` (from `Authorization: Bearer <token>`); 401 for no or an unknown token."""
        if self._loaded_at is None:
            raise HTTPException(503, "tokens are not loaded yet: try again shortly")
        found = self._by_hash.get(token_hash(token)) if token else None
        if found is None:
            raise HTTPException(401, "a valid bearer token is needed", headers={"WWW-Authenticate": "Bearer"})
        return found


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value (None for anything else)."""
    scheme, _, token = (authorization or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def metrics_scope(who: Principal, tenant: str | None) -> str | None:
    """The tenant whose metrics `who` reads when asking for `tenant` (None: all tenants, admins only)."""
    if who.tenant_id is None:
        return tenant
    if tenant is not None and tenant != who.tenant_id:
        raise HTTPException(403, "this token may not read that tenant")
    return who.tenant_id


def invoice_scope(who: Principal, tenant: str | None) -> str:
    """The tenant whose invoice `who` reads; an admin must name it (invoice ids are unique per tenant only)."""
    if who.tenant_id is None:
        if not tenant:
            raise HTTPException(400, "an admin token names the tenant: ?tenant=")
        return tenant
    if tenant is not None and tenant != who.tenant_id:
        raise HTTPException(403, "this token may not read that tenant")
    return who.tenant_id
