"""`invoiceflow tokens add|list|revoke` and `invoiceflow bench api` as a user runs them, on the real stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from streams.sinks.tokens import TokenStore, token_hash

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


async def test_a_token_is_printed_once_stored_as_its_hash_listed_without_it_and_revoked(pool: Any,
                                                                                      run_id: str) -> None:
    added = _cli("tokens", "add", "--tenant", f"cli-{run_id}", "--label", f"label-{run_id}")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("ifl_") and "shown once" in added.stderr and token not in added.stderr
    mine = [t for t in await TokenStore(pool).tokens() if t.label == f"label-{run_id}"]
    try:
        assert len(mine) == 1 and mine[0].tenant_id == f"cli-{run_id}" and not mine[0].admin
        async with pool.acquire() as conn:
            stored = await conn.fetchval("SELECT sha256 FROM api_tokens WHERE token_id = $1", mine[0].token_id)
            assert bytes(stored) == token_hash(token)
            assert await conn.fetchval("SELECT count(*) FROM api_tokens WHERE sha256::text LIKE '%' || $1 || '%'",
                                       token) == 0
        listed = _cli("tokens", "list")
        assert listed.returncode == 0 and mine[0].token_id in listed.stdout and token not in listed.stdout
        assert _cli("tokens", "revoke", mine[0].token_id).returncode == 0
        again = _cli("tokens", "revoke", mine[0].token_id)
        assert again.returncode == 1 and "no live token" in again.stderr
        assert mine[0].token_id not in {t.token_id for t in (await TokenStore(pool).active()).values()}
        assert _cli("tokens", "add").returncode == 2  # --tenant or --admin is required
    finally:
        for t in mine:
            await TokenStore(pool).delete(t.token_id)


def test_the_api_benchmark_prints_its_figures(stack: None) -> None:
    done = _cli("bench", "api", "--rate", "100", "--duration", "1", timeout=120)
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    for figure in ("achieved", "p50", "p95", "p99", "service process CPU"):
        assert figure in done.stdout
    assert "errors 0" in done.stdout
