"""`invoiceflow serve` and `invoiceflow tokens add|list|revoke`: parse, call the service or the token store, print.

`tokens add` prints the token alone on stdout (so `TOKEN=$(invoiceflow tokens add --tenant acme)` works) and
what it is on stderr; the token is shown this once, since only its hash is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import Any

from config.settings import Settings
from streams.errors import ConfigError
from streams.sinks.postgres import open_pool
from streams.sinks.tokens import TokenInfo, TokenStore

Sub = Any  # argparse's private _SubParsersAction


def register_serve(sub: Sub) -> None:
    """`invoiceflow serve`."""
    p = sub.add_parser("serve", help="run the API service (metrics, invoice journeys, health, Prometheus)")
    p.add_argument("--port", type=int, default=None, help="port (default INVOICEFLOW_SERVICE_PORT, 8080)")

    def run(args: argparse.Namespace) -> int:
        from streams.service.server import server

        settings = Settings()
        sys.stderr.write(f"serving on http://{settings.service_host}:{args.port or settings.service_port}\n")
        server(settings, args.port).run()
        return 0

    p.set_defaults(func=run)


def register_tokens(sub: Sub) -> None:
    """`invoiceflow tokens add|list|revoke`."""
    p = sub.add_parser("tokens", help="API bearer tokens: add (printed once), list, revoke")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="make a token for a tenant, or an admin token; prints it once")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--tenant", help="the tenant the token reads")
    who.add_argument("--admin", action="store_true", help="a token that reads every tenant")
    add.add_argument("--label", default=None, help="what it is for (shown by list)")
    add.set_defaults(func=lambda a: asyncio.run(add_token(Settings(), a.tenant, a.label)))
    actions.add_parser("list", help="every token (never the token itself)").set_defaults(
        func=lambda a: asyncio.run(list_tokens(Settings())))
    revoke = actions.add_parser("revoke", help="revoke a token by its id (the service drops it within 30 s)")
    revoke.add_argument("token_id")
    revoke.set_defaults(func=lambda a: asyncio.run(revoke_token(Settings(), a.token_id)))


async def _store(settings: Settings) -> Any:
    return await open_pool(settings.postgres_dsn.get_secret_value(), 1)


async def add_token(settings: Settings, tenant: str | None, label: str | None) -> int:
    """Make a token and print it (stdout) and what it is (stderr)."""
    pool = await _store(settings)
    try:
        info, token = await TokenStore(pool).add(tenant, label)
    finally:
        await pool.close()
    sys.stderr.write(f"token {info.token_id} for {_whom(info)}: shown once, store it now\n")
    sys.stdout.write(token + "\n")
    return 0


async def list_tokens(settings: Settings) -> int:
    """Print every token's id, tenant, label and dates."""
    pool = await _store(settings)
    try:
        infos = await TokenStore(pool).tokens()
    finally:
        await pool.close()
    sys.stdout.write(format_tokens(infos) + "\n")
    return 0


async def revoke_token(settings: Settings, token_id: str) -> int:
    """Revoke a token; a ConfigError (exit 1) when no live token has the id."""
    pool = await _store(settings)
    try:
        done = await TokenStore(pool).revoke(token_id)
    finally:
        await pool.close()
    if not done:
        raise ConfigError(f"no live token with id {token_id}")
    sys.stdout.write(f"revoked {token_id}\n")
    return 0


def _whom(info: TokenInfo) -> str:
    return "every tenant (admin)" if info.admin else f"tenant {info.tenant_id}"


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def format_tokens(infos: list[TokenInfo]) -> str:
    """`tokens list`'s table."""
    lines = [f"{'id':<12}  {'tenant':<24}  {'created':<19}  {'revoked':<19}  label"]
    for i in infos:
        lines.append(f"{i.token_id:<12}  {'(admin)' if i.admin else i.tenant_id or '':<24}  {_when(i.created_at):<19}"
                     f"  {_when(i.revoked_at):<19}  {i.label or '-'}")
    lines.append(f"{len(infos)} token(s), {sum(1 for i in infos if i.revoked_at is None)} live")
    return "\n".join(lines)
