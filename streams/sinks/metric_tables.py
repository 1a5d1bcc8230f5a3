"""Redis: the metrics tables, counted exactly once and read back in one round trip.

Layout (every key under the deployment's prefix `invoiceflow:<topic prefix>`; `<w>` is the window's letter,
m, h or d, and `<bucket>` the epoch second its UTC bucket starts at):

    metrics:<tenant>            hash, the tenant's counters since the start (what `invoiceflow metrics` shows)
    mt:<tenant>:<w>:<bucket>    hash, the tenant's counters of one window bucket; expires at bucket + retention
    mtx:<tenant>:<w>            sorted set of the tenant's buckets of window w (score = member = bucket)
    mtx:<tenant>:<w>:v          the version of that series (see below)
    mta:<w>:<bucket>, mtax:<w>[:v]  the same for all tenants together (what an admin reads), written alongside
    tenants                     set of every tenant counted
    seen:<tenant>:<event id>    a scored event was counted (14 days)
    dls:<topic>:<partition>:<offset>   a dead letter from that origin was counted (14 days)

Counter names are `streams.counters`'. A batch is one Lua script, so it is atomic: each scored event counts
only if its (tenant, event id) was never counted, each dead letter only if its origin (topic, partition,
offset) was never counted, and the increments of what counts are summed per tenant and minute inside the
script before they touch the hashes (a batch of 200 events costs a few hundred HINCRBYs, not thousands).
A redelivered, replayed or retried batch therefore adds nothing, and after any crash the tables hold what
the records hold. Until 14 days (the seen TTL) after the upgrade to tenant-keyed seen keys, a seen key of
the former shape `seen:<event id>` may still exist: the first tenant to present that event id again takes it
over and does not count again (a worker restarted for the upgrade redelivers what it had counted), and the
legacy key is dropped.

Each bucket hash also holds `_version`, bumped by every batch that writes it, and each index a version of its
own (`mtx:<tenant>:<w>:v`, `mtax:<w>:v`), bumped by every batch that writes any of its buckets; a version
starts at the writer's clock in microseconds, so a table Redis lost and counted again never shows a version
it had before. The reader
returns a tenant's (or everyone's) buckets of a window in [from, to) with their versions as one JSON document
built inside Redis (one round trip, numbers parsed once, in C, by the caller); it answers with the series
version alone when the caller already holds it (nothing was written since), and leaves out the counters of
every bucket the caller holds in its current version: a service that keeps what it read (closed buckets never
change but for late events) is sent the current bucket and little else.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from streams.counters import DEAD_LETTERS, UNKNOWN_TENANT, WINDOWS, Retention, dead_letter_field, epoch_s
from streams.errors import SinkError
from streams.sinks._protocols import CounterDelta, DeadLetterFact, WindowReading

SEEN_TTL_S = 14 * 24 * 3600

# Sums increments per (tenant, minute) in `groups`, then adds each group to the tenant's totals and to the
# tenant's and everyone's minute, hour and day buckets (those still within retention), keeping the indexes.
_ACCUMULATE = """
local now, ttl, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local windows = {{'m', 60, tonumber(ARGV[4])}, {'h', 3600, tonumber(ARGV[5])}, {'d', 86400, tonumber(ARGV[6])}}
local seed, groups, order = string.format('%.0f', now * 1000000), {}, {}
local function add(tenant, minute, i, n)
  local id = tenant .. '\\n' .. minute
  local g = groups[id]
  if not g then
    g = {tenant = tenant, minute = minute, sums = {}, names = {}}
    groups[id] = g
    order[#order + 1] = g
  end
  for j = 0, n - 1 do
    local f, v = ARGV[i + 2 * j], tonumber(ARGV[i + 2 * j + 1])
    if g.sums[f] then g.sums[f] = g.sums[f] + v else g.sums[f] = v; g.names[#g.names + 1] = f end
  end
end
local function flush()
  for _, g in ipairs(order) do
    redis.call('SADD', prefix .. 'tenants', g.tenant)
    local total, tables = prefix .. 'metrics:' .. g.tenant, {}
    for _, w in ipairs(windows) do
      local bucket = g.minute - g.minute % w[2]
      local expires = bucket + w[3]
      if expires > now then
        local mine, all = g.tenant .. ':' .. w[1], w[1]
        tables[#tables + 1] = {prefix .. 'mt:' .. mine .. ':' .. bucket, prefix .. 'mtx:' .. mine, bucket, expires}
        tables[#tables + 1] = {prefix .. 'mta:' .. all .. ':' .. bucket, prefix .. 'mtax:' .. all, bucket, expires}
      end
    end
    for _, f in ipairs(g.names) do
      local v = g.sums[f]
      redis.call('HINCRBY', total, f, v)
      for _, t in ipairs(tables) do redis.call('HINCRBY', t[1], f, v) end
    end
    for _, t in ipairs(tables) do
      -- versions start at the time in microseconds, so a table lost and written again never repeats one
      if redis.call('HSETNX', t[1], '_version', seed) == 0 then redis.call('HINCRBY', t[1], '_version', 1) end
      redis.call('EXPIREAT', t[1], t[4])
      redis.call('ZADD', t[2], t[3], t[3])
      redis.call('ZREMRANGEBYSCORE', t[2], '-inf', now - (t[4] - t[3]))  -- expired buckets
      if redis.call('SETNX', t[2] .. ':v', seed) == 0 then redis.call('INCR', t[2] .. ':v') end
      local left = redis.call('TTL', t[2])
      if left < 0 or now + left < t[4] then
        redis.call('EXPIREAT', t[2], t[4])
        redis.call('EXPIREAT', t[2] .. ':v', t[4])
      end
    end
  end
end
"""

# ARGV: now, seen ttl, prefix, retention m/h/d, then per event: event id, tenant, minute, n, n x (name, value)
_APPLY = _ACCUMULATE + """
local i, applied = 7, 0
while i <= #ARGV do
  local eid, tenant, minute, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  i = i + 4
  if redis.call('SET', prefix .. 'seen:' .. tenant .. ':' .. eid, '1', 'NX', 'EX', ttl)
      and redis.call('DEL', prefix .. 'seen:' .. eid) == 0 then  -- legacy key: counted before the upgrade
    applied = applied + 1
    add(tenant, minute, i, n)
  end
  i = i + 2 * n
end
flush()
return applied
"""

# ARGV: now, seen ttl, prefix, retention m/h/d, then per dead letter: origin, tenant, minute, n, n x (name, value)
_DEAD_LETTERS = _ACCUMULATE + """
local i, counted = 7, 0
while i <= #ARGV do
  local origin, tenant, minute, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  i = i + 4
  if redis.call('SET', prefix .. 'dls:' .. origin, '1', 'NX', 'EX', ttl) then
    counted = counted + 1
    add(tenant, minute, i, n)
  end
  i = i + 2 * n
end
flush()
return counted
"""

# ARGV: index key, bucket key prefix, from, to (exclusive), the series version the caller holds, and
# "bucket:version,..." of the buckets it holds (one argument: redis-py packs each argument in Python).
# Returns [series version] when the caller holds that version (nothing was written since), else
# [series version, [[bucket, version], ...]] oldest first, each bucket with its counters as a third item
# unless the caller holds that version of it already.
_READ = """
local series = redis.call('GET', ARGV[1] .. ':v') or '0'
if series == ARGV[5] then return '[' .. series .. ']' end
local known = {}
for b, v in string.gmatch(ARGV[6], '(%d+):(%d+)') do known[b] = v end
local buckets = redis.call('ZRANGEBYSCORE', ARGV[1], ARGV[3], '(' .. ARGV[4])
local parts = {}
for _, b in ipairs(buckets) do
  local key = ARGV[2] .. b
  local version = redis.call('HGET', key, '_version')
  if version and known[b] == version then
    parts[#parts + 1] = '[' .. b .. ',' .. version .. ']'
  elseif version then
    local h, fields = redis.call('HGETALL', key), {}
    for j = 1, #h, 2 do
      if h[j] ~= '_version' then fields[#fields + 1] = cjson.encode(h[j]) .. ':' .. h[j + 1] end
    end
    parts[#parts + 1] = '[' .. b .. ',' .. version .. ',{' .. table.concat(fields, ',') .. '}]'
  end
end
return '[' .. series .. ',[' .. table.concat(parts, ',') .. ']]'
"""

Bucket = tuple[int, int, dict[str, int] | None]
"""(bucket start in epoch s, version, counters or None when the caller holds that version)."""


@dataclass(frozen=True, slots=True)
class SeriesRead:
    """What `MetricTables.read_buckets` found."""

    version: int
    """The series' version: how many batches wrote any bucket of this tenant (or all) and window."""
    buckets: list[Bucket] | None
    """The buckets in range, oldest first; None when the caller holds `version` already (nothing changed)."""


class MetricTables:
    """The metrics tables of one deployment (key prefix) on a Redis client."""

    def __init__(self, client: Redis, namespace: str, retention: Retention | None = None) -> None:
        self.client = client
        self.prefix = f"invoiceflow:{namespace}"
        self.retention = retention or Retention()
        self._apply_script: Any = client.register_script(_APPLY)
        self._dead_script: Any = client.register_script(_DEAD_LETTERS)
        self._read_script: Any = client.register_script(_READ)

    def _head(self) -> list[str | int]:
        r = self.retention
        return [f"{time.time():.6f}", SEEN_TTL_S, self.prefix, r.minute_s, r.hour_s, r.day_s]

    async def apply(self, deltas: Sequence[CounterDelta]) -> int:
        """Count each delta unless its (tenant, event id) was counted before; returns how many counted."""
        if not deltas:
            return 0
        args = self._head()
        for d in deltas:
            args += [d.event_id, d.tenant_id, d.minute, len(d.fields)]
            for name, value in d.fields:
                args += [name, value]
        try:
            return int(await self._apply_script(args=args))
        except RedisError as exc:
            raise SinkError(f"redis counters: {type(exc).__name__}") from exc

    async def count_dead_letters(self, letters: Sequence[DeadLetterFact]) -> int:
        """Count each dead letter (by stage and reason, in the minute it failed) unless one from the same
        origin (topic, partition, offset) was counted before; returns how many counted."""
        if not letters:
            return 0
        args = self._head()
        minute = WINDOWS["minute"]
        for d in letters:
            args += [f"{d.topic}:{d.partition}:{d.offset}", d.tenant_id or UNKNOWN_TENANT,
                     minute.start(epoch_s(d.failed_at)), 2, DEAD_LETTERS, 1, dead_letter_field(d.stage, d.reason), 1]
        try:
            return int(await self._dead_script(args=args))
        except RedisError as exc:
            raise SinkError(f"redis dead-letter counters: {type(exc).__name__}") from exc

    async def read(self, tenant_id: str | None = None) -> dict[str, dict[str, int]]:
        """Counters since the start, per tenant (all tenants when `tenant_id` is None)."""
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

    async def read_buckets(self, tenant_id: str | None, window: str, start: int, end: int,
                           known: Mapping[int, int] | None = None, held: int | None = None) -> SeriesRead:
        """The buckets of `window` starting in [start, end) (epoch s), oldest first, in one round trip.

        A caller that keeps what it read says so: `held` is the series version it holds (then, if nothing
        was written since, the answer is just that version) and `known` the version of each bucket it holds
        (those come back without their counters).

        Args:
            tenant_id: The tenant, or None for all tenants together.
            window: ``minute``, ``hour`` or ``day``.
            start: First bucket start included.
            end: First bucket start excluded.
            known: Bucket -> version the caller holds.
            held: The series version the caller holds.
        """
        code = WINDOWS[window].code
        if tenant_id is None:
            index, base = f"{self.prefix}mtax:{code}", f"{self.prefix}mta:{code}:"
        else:
            index, base = f"{self.prefix}mtx:{tenant_id}:{code}", f"{self.prefix}mt:{tenant_id}:{code}:"
        buckets = ",".join(f"{bucket}:{version}" for bucket, version in (known or {}).items())
        try:
            raw = await self._read_script(args=[index, base, start, end, -1 if held is None else held, buckets])
        except RedisError as exc:
            raise SinkError(f"redis metrics read: {type(exc).__name__}") from exc
        found = orjson.loads(raw)
        if len(found) == 1:
            return SeriesRead(found[0], None)
        return SeriesRead(found[0], [(b[0], b[1], b[2] if len(b) > 2 else None) for b in found[1]])

    async def read_window(self, tenant_id: str | None, window: str, start: int, end: int) -> WindowReading:
        """The counters of each bucket of `window` starting in [start, end) and their sum (see `read_buckets`)."""
        found = (await self.read_buckets(tenant_id, window, start, end)).buckets or []
        series = tuple((b, counters or {}) for b, _, counters in found)
        return WindowReading(series, sum_counters(c for _, c in series))

    async def tenants(self) -> list[str]:
        """Every tenant the tables counted, sorted."""
        try:
            return sorted(_text(t) for t in await self.client.smembers(f"{self.prefix}tenants"))
        except RedisError as exc:
            raise SinkError(f"redis counters: {type(exc).__name__}") from exc


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def sum_counters(parts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The counters of several buckets added up."""
    total: dict[str, int] = {}
    for counters in parts:
        for name, value in counters.items():
            total[name] = total.get(name, 0) + value
    return total
