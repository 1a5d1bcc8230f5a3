"""Redis: per-tenant counters and the first-seen document index, each one round trip per batch.

Both run as Lua scripts so a batch is atomic and idempotent: a counter delta is applied only if its event
id was not seen before for its tenant (a redelivered event does not count twice), and a document's first
invoice id is kept with SET NX (a redelivery of the same invoice is not its own duplicate).

Every key names the tenant, because tenants pick invoice ids upstream and event ids (stable for replays)
do not name the tenant, so two tenants' events may carry equal ids: `seen:<tenant>:<event id>` (counted
once), `metrics:<tenant>[:<day>]`, `doc:<tenant>:<sha256>`, `bk:<tenant>:<business key>` and
`vendors:<tenant>`. A scored event id is a uuid5 (no colon), so a seen key reads unambiguously from the right.
Until 14 days (the seen TTL) after the upgrade, a seen key of the former shape `seen:<event id>` may still
exist: the first tenant to present that event id again takes it over and does not count again (a worker
restarted for the upgrade redelivers what it had counted), and the legacy key is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from streams.errors import SinkError
from streams.sinks import CounterDelta, HistoryFacts, HistoryQuery, VendorFact

_APPLY = """
local ttl, prefix, i, applied = tonumber(ARGV[1]), ARGV[2], 3, 0
while i <= #ARGV do
  local eid, tenant, day, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  if redis.call('SET', prefix .. 'seen:' .. tenant .. ':' .. eid, '1', 'NX', 'EX', ttl)
      and redis.call('DEL', prefix .. 'seen:' .. eid) == 0 then  -- legacy key: counted before the upgrade
    applied = applied + 1
    redis.call('SADD', prefix .. 'tenants', tenant)
    for j = 0, n - 1 do
      local f, v = ARGV[i + 2 * j], tonumber(ARGV[i + 2 * j + 1])
      redis.call('HINCRBY', prefix .. 'metrics:' .. tenant, f, v)
      redis.call('HINCRBY', prefix .. 'metrics:' .. tenant .. ':' .. day, f, v)
    end
  end
  i = i + 2 * n
end
return applied
"""

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

_SEEN_TTL_S = 14 * 24 * 3600
_HISTORY_TTL_S = 400 * 24 * 3600  # a duplicate can arrive months later


class RedisStores:
    """The counter store and the dedupe index on one Redis connection pool."""

    def __init__(self, client: Redis, namespace: str) -> None:
        self.client = client
        self.prefix = f"invoiceflow:{namespace}"
        self._apply: Any = client.register_script(_APPLY)
        self._claim: Any = client.register_script(_CLAIM)
        self._history: Any = client.register_script(_HISTORY)

    async def apply(self, deltas: Sequence[CounterDelta]) -> int:
        """Apply each delta unless its (tenant, event id) was applied before; returns how many were applied."""
        if not deltas:
            return 0
        args: list[str | int] = [_SEEN_TTL_S, self.prefix]
        for d in deltas:
            args += [d.event_id, d.tenant_id, d.day, len(d.fields)]
            for name, value in d.fields:
                args += [name, value]
        try:
            return int(await self._apply(args=args))
        except RedisError as exc:
            raise SinkError(f"redis counters: {type(exc).__name__}") from exc

    async def read(self, tenant_id: str | None = None) -> dict[str, dict[str, int]]:
        """Counters per tenant (all tenants when `tenant_id` is None)."""
        try:
            tenants = [tenant_id] if tenant_id else sorted(
                _text(t) for t in await self.client.smembers(f"{self.prefix}tenants")
            )
            out: dict[str, dict[str, int]] = {}
            for t in tenants:
                raw = await self.client.hgetall(f"{self.prefix}metrics:{t}")
                out[t] = {_text(k): int(v) for k, v in raw.items()}
            return out
        except RedisError as exc:
            raise SinkError(f"redis counters: {type(exc).__name__}") from exc

    async def claim(self, claims: Sequence[tuple[str, str, str]]) -> list[str | None]:
        """For each (tenant, sha256, invoice id): None if this invoice owns the document, else the owner."""
        if not claims:
            return []
        args: list[str | int] = [_SEEN_TTL_S * 2, self.prefix]
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
                    pipe.set(f"{self.prefix}doc:{tenant}:{sha}", invoice_id, nx=True, ex=_SEEN_TTL_S * 2)
                for tenant, key, invoice_id in keys:
                    pipe.set(f"{self.prefix}bk:{tenant}:{key}", invoice_id, nx=True, ex=_HISTORY_TTL_S)
                return sum(1 for done in await pipe.execute() if done)
        except RedisError as exc:
            raise SinkError(f"redis restore: {type(exc).__name__}") from exc


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def connect_redis(url: str) -> Redis:
    """A Redis client for `url` (connections open lazily)."""
    return Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30)
