"""Who may read what: bearer tokens against the hashes in memory, and each token's tenant scope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import HTTPException

from streams.service._auth import Principal, TokenCache, bearer, invoice_scope, metrics_scope
from streams.sinks.tokens import TOKEN_PREFIX, TokenInfo, new_token, token_hash

NOW = datetime(2026, 12, 3, tzinfo=UTC)
ADMIN, ACME = Principal("a1", None), Principal("t1", "acme")


def _status(call: object) -> int:
    with pytest.raises(HTTPException) as caught:
        call()  # type: ignore[operator]
    return caught.value.status_code


def test_tokens_are_random_and_stored_as_their_sha256_only() -> None:
    one, two = new_token(), new_token()
    assert one != two and one.startswith(TOKEN_PREFIX) and len(one) > 40
    assert len(token_hash(one)) == 32 and token_hash(one) == token_hash(one) != token_hash(two)


def test_the_cache_knows_a_token_by_its_hash_and_refuses_until_loaded() -> None:
    cache, token = TokenCache(), new_token()
    assert _status(lambda: cache.principal(token)) == 503  # not loaded: never let through
    assert cache.age_s() == float("inf")
    cache.replace({token_hash(token): TokenInfo("t1", "acme", None, NOW, None)})
    assert cache.principal(token) == ACME and cache.size == 1 and cache.age_s() < 1
    assert _status(lambda: cache.principal(None)) == 401
    assert _status(lambda: cache.principal(new_token())) == 401
    cache.replace({})  # revoked at the next refresh
    assert _status(lambda: cache.principal(token)) == 401


@pytest.mark.parametrize(("header", "token"), [
    ("Bearer abc", "abc"), ("bearer abc ", "abc"), ("Basic abc", None), ("Bearer", None), (None, None), ("", None)])
def test_only_a_bearer_header_carries_a_token(header: str | None, token: str | None) -> None:
    assert bearer(header) == token


def test_a_tenant_token_reads_its_own_tenant_only() -> None:
    assert metrics_scope(ACME, None) == "acme" and metrics_scope(ACME, "acme") == "acme"
    assert _status(lambda: metrics_scope(ACME, "other")) == 403
    assert invoice_scope(ACME, None) == "acme"
    assert _status(lambda: invoice_scope(ACME, "other")) == 403


def test_an_admin_reads_any_tenant_or_all_but_names_the_tenant_of_an_invoice() -> None:
    assert metrics_scope(ADMIN, None) is None and metrics_scope(ADMIN, "other") == "other"
    assert invoice_scope(ADMIN, "other") == "other"
    assert _status(lambda: invoice_scope(ADMIN, None)) == 400
