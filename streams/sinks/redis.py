"""Redis: the metrics tables, the first-seen document index and the tenant's history, each one round trip a batch.

Each runs as a Lua script so a batch is atomic and idempotent: counters count once per (tenant, event id)
(`streams.sinks.metric_tables`, whose methods `RedisStores` inherits), and a document's first invoice id is
kept with SET NX (a redelivery of the same invoice is not its own duplicate).

Every key names the tenant, because tenants pick invoice ids upstream and event ids (stable for replays)
do not name the tenant, so two tenants' events may carry equal ids: `doc:<tenant>:<sha256>`,
`bk:<tenant>:<business key>`, `vendors:<tenant>` and the metrics tables' keys. The daily hashes
`metrics:<tenant>:<day>` of earlier versions are no longer written (the day window replaces them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from streams.counters import Retention
from streams.errors import SinkError
from streams.sinks import HistoryFacts, HistoryQuery, VendorFact
from streams.sinks.metric_tables import SEEN_TTL_S, MetricTables

_CLAIM = """
local ttl, prefix, out = tonumber(ARGV[1]), ARGV[2], {}
for i = 3, #ARGV, 3 do
  local key = prefix .. 'doc:' .. ARGV[i] .. ':' .. ARGV[i + 1]
  local owner = redis.call('GET', key)
  if not owner then
    redis.call('SET', key, ARGV[i + 2], 'EX', ttl)
    owner = ARGV[i + 2]
  end
  out[#out + 1] = owner
end
return out
"""

_HISTORY = """
local ttl, prefix, out, i = tonumber(ARGV[1]), ARGV[2], {}, 3
while i <= #ARGV do
  local tenant, invoice, seller, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  local dup = ''
  for j = 0, n - 1 do
    local key = prefix .. 'bk:' .. tenant .. ':' .. ARGV[i + j]
    local owner = redis.call('GET', key)
    if not owner then
      redis.call('SET', key, invoice, 'EX', ttl)
    elseif owner ~= invoice and dup == '' then
      dup = owner
    end
  end
  i = i + n
  local iban = false
  if seller ~= '' then iban = redis.call('HGET', prefix .. 'vendors:' .. tenant, seller) end
  out[#out + 1] = dup
  out[#out + 1] = iban and ('known:' .. iban) or 'unknown'
end
return out
"""

_HISTORY_TTL_S = 400 * 24 * 3600  # a duplicate can arrive months later


class RedisStores(MetricTables):
    """The metrics tables, the dedupe index and the history index on one Redis connection pool."""

    def __init__(self, client: Redis, namespace: str, retention: Retention | None = None) -> None:
        super().__init__(client, namespace, retention)
        self._claim: Any = client.register_script(_CLAIM)
        self._history: Any = client.register_script(_HISTORY)

    async def claim(self, claims: Sequence[tuple[str, str, str]]) -> list[str | None]:
        """For each (tenant, sha256, invoice id): None if this invoice owns the document, else the owner."""
        if not claims:
            return []
        args: list[str | int] = [SEEN_TTL_S * 2, self.prefix]
        for tenant, sha, invoice_id in claims:
            args += [tenant, sha, invoice_id]
        try:
            owners = await self._claim(args=args)
        except RedisError as exc:
            raise SinkError(f"redis dedupe: {type(exc).__name__}") from exc
        return [None if o.decode() == c[2] else o.decode() for o, c in zip(owners, claims, strict=True)]


    async def lookup(self, queries: Sequence[HistoryQuery]) -> list[HistoryFacts]:
        """Claim each invoice's business keys (first seen owns them) and look up its seller, atomically."""
        if not queries:
            return []
        args: list[str | int] = [_HISTORY_TTL_S, self.prefix]
        for q in queries:
            args += [q.tenant_id, q.invoice_id, q.seller_key or "", len(q.business_keys), *q.business_keys]
        try:
            flat = [v.decode() for v in await self._history(args=args)]
        except RedisError as exc:
            raise SinkError(f"redis history: {type(exc).__name__}") from exc
        facts = []
        for dup, vendor in zip(flat[::2], flat[1::2], strict=True):
            known = vendor.startswith("known:")
            iban = vendor[len("known:"):] if known else ""
            facts.append(HistoryFacts(duplicate_of=dup or None, vendor_known=known, vendor_iban=iban or None))
        return facts

    async def learn_vendors(self, vendors: Sequence[VendorFact]) -> None:
        """Remember sellers of approved invoices with the IBAN they were paid to."""
        if not vendors:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for v in vendors:
                    pipe.hset(f"{self.prefix}vendors:{v.tenant_id}", v.seller_key, v.iban or "")
                await pipe.execute()
        except RedisError as exc:
            raise SinkError(f"redis vendors: {type(exc).__name__}") from exc


    async def restore(self, documents: Sequence[tuple[str, str, str]], keys: Sequence[tuple[str, str, str]]) -> int:
        """Put back first-seen claims, without taking any from their current owner; returns how many were set.

        Args:
            documents: ``(tenant, sha256, invoice id)`` per recorded document, oldest first.
            keys: ``(tenant, business key, invoice id)`` per recorded invoice key, oldest first.
        """
        if not documents and not keys:
            return 0
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for tenant, sha, invoice_id in documents:
                    pipe.set(f"{self.prefix}doc:{tenant}:{sha}", invoice_id, nx=True, ex=SEEN_TTL_S * 2)
                for tenant, key, invoice_id in keys:
                    pipe.set(f"{self.prefix}bk:{tenant}:{key}", invoice_id, nx=True, ex=_HISTORY_TTL_S)
                return sum(1 for done in await pipe.execute() if done)
        except RedisError as exc:
            raise SinkError(f"redis restore: {type(exc).__name__}") from exc


def connect_redis(url: str, timeout_s: float = 10.0) -> Redis:
    """A Redis client for `url` (connections open lazily); a command waits at most `timeout_s` for its answer."""
    return Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=min(5.0, timeout_s),
                          health_check_interval=30)
