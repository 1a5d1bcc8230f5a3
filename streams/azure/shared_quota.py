"""One endpoint's quota shared by every worker process, through Redis.

The service counts analyze and get-result calls per key across all its clients, so a gate per process
(gate.py) keeps K workers inside K times the quota at best. Here each (endpoint, quota kind) is admitted by
one Lua script, atomically and on Redis' own clock (worker clocks do not matter):

* a sorted-set log of admissions: entries older than the window are dropped, a call is admitted (and
  logged) while fewer than the limit are in the window, else the answer is how long until a place frees;
* a next-time key spreads admissions over the window instead of letting the workers burst it together;
* a pause key: a 429's Retry-After seen by one worker holds the quota for all of them until it expires;
* a late call (one that leaves more than LATE_S after its admission, an event-loop stall in between) moves
  its log entry to the moment it left, so the others count it where the service will.

Keys are named by a hash of the endpoint URL and key (never the key itself) and expire on their own (see
_quota_math.py for the window arithmetic). If Redis cannot be reached, each worker falls back to its own
1/N share of the quota (N from settings), says so once in the log, and tries Redis again a little later:
the extract stage never stops for a quota's book-keeping.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from streams.azure._quota_math import QuotaShape, WindowLog, fallback_shape, quota_id, quota_keys, shared_shape
from streams.azure.gate import Admission
from streams.azure.pool import EndpointConfig, QuotaKind

_log = logging.getLogger(__name__)

# KEYS: log, pause, next. ARGV: limit, window_us, interval_us, tolerance_us, member, ttl_ms.
# Returns {0, 0, now_us} admitted, {1, wait_us} full, {2, wait_us} paused.
_ADMIT = """
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {2, paused * 1000} end
local limit, window, interval, tol = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local wait = 0
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = tonumber(oldest[2]) + window - now
end
local nxt = tonumber(redis.call('GET', KEYS[3]) or '0')
if nxt - tol - now > wait then wait = nxt - tol - now end
if wait > 0 then return {1, math.ceil(wait)} end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[3], string.format('%.0f', math.max(nxt, now) + interval), 'PX', ARGV[6])
return {0, 0, now}
"""

# KEYS: log. ARGV: stamp_us, member. Moves an admission later (never earlier), if it is still logged.
_LEFT = """
return redis.call('ZADD', KEYS[1], 'XX', 'GT', ARGV[1], ARGV[2])
"""

# KEYS: pause. ARGV: ms. Extends a pause, never shortens one.
_PAUSE = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 0
"""

_PREFIX = "invoiceflow:azq:"
LATE_S = 0.01  # a call leaving this long after its admission is re-stamped in the log
_ERRORS = (RedisError, OSError, TimeoutError)
_PAUSED = 2


class SharedQuotas:
    """The process' side of the shared quotas: one Redis client, its scripts, and whether Redis answers."""

    def __init__(
        self,
        client: Redis,
        *,
        headroom: float = 0.97,
        workers: int = 2,
        timeout_s: float = 1.0,
        retry_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._admit: Any = client.register_script(_ADMIT)
        self._pause: Any = client.register_script(_PAUSE)
        self._left: Any = client.register_script(_LEFT)
        self.headroom = headroom
        self.workers = workers
        self.timeout_s = timeout_s
        self._retry_s = retry_s
        self._clock = clock
        self._down_until: float | None = None
        self._warned = False
        self._owner = uuid.uuid4().hex[:12]
        self._seq = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()

    def for_endpoint(self, config: EndpointConfig, kind: QuotaKind) -> SharedQuota:
        """The shared quota of one endpoint (a `SharedQuotaSource` for the pool)."""
        rate = config.analyze_rps if kind == "analyze" else config.get_rps
        return self.quota(config.url, config.key.get_secret_value(), kind, rate)

    def quota(self, url: str, key: str, kind: str, rate: float) -> SharedQuota:
        """The shared quota `kind` of the resource at `url` with subscription `key`, at `rate` calls/s."""
        shape = shared_shape(rate, self.headroom)
        return SharedQuota(self, quota_keys(_PREFIX, quota_id(url, key), kind), shape)

    # ------------------------------------------------------------------ used by SharedQuota
    def member(self) -> str:
        """A log entry unique across processes."""
        return f"{self._owner}:{next(self._seq)}"

    def now(self) -> float:
        return self._clock()

    def reachable(self) -> bool:
        """False while in fallback, until the next time Redis is worth another try."""
        return self._down_until is None or self._clock() >= self._down_until

    async def call_admit(self, keys: tuple[str, str, str], args: list[int | str]) -> list[int] | None:
        """Run the admission script: [status, wait_us(, now_us)], or None if Redis did not answer in time."""
        try:
            async with asyncio.timeout(self.timeout_s):
                answer = await self._admit(keys=list(keys), args=args)
        except _ERRORS as exc:
            self._unreachable(exc)
            return None
        self._reachable()
        return [int(v) for v in answer]

    def publish_left(self, log_key: str, member: str, stamp_us: int) -> None:
        """Move one admission to the moment its call left, in the background."""
        if self.reachable():
            self._spawn(self._run(self._left, [log_key], [stamp_us, member]))

    def publish_pause(self, pause_key: str, seconds: float) -> None:
        """Pause the quota for every worker, in the background (a 429 answer must not wait on Redis)."""
        if self.reachable():
            self._spawn(self._run(self._pause, [pause_key], [max(1, round(seconds * 1000))]))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for pauses and re-stamps still being published (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks)

    async def _run(self, script: Any, keys: list[str], args: list[int | str]) -> None:
        try:
            async with asyncio.timeout(self.timeout_s):
                await script(keys=keys, args=args)
        except _ERRORS as exc:
            self._unreachable(exc)

    def _unreachable(self, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            _log.warning(
                "shared Azure quota: Redis unreachable (%s); each worker keeps to 1/%d of every quota until it "
                "answers again", type(exc).__name__, self.workers,
            )
        self._down_until = self._clock() + self._retry_s

    def _reachable(self) -> None:
        if self._down_until is not None:
            self._down_until = None
            _log.info("shared Azure quota: Redis answers again; quotas are shared again")


@dataclass(frozen=True, slots=True)
class _Place:
    """One admission in the shared log: its member, its Redis time, and the local time it was asked for.

    Redis stamped it somewhere between the ask and the answer; counting lateness from the ask (an answer
    read late is as late as a call sent late) can only move the entry a little too far, never too little.
    """

    member: str
    stamp_us: int
    asked: float


class SharedQuota:
    """One endpoint's quota of one kind, as every worker sees it (a `SharedAdmission` for its gate)."""

    __slots__ = ("_args", "_fallback", "_keys", "_owner", "shape")

    def __init__(self, owner: SharedQuotas, keys: tuple[str, str, str], shape: QuotaShape) -> None:
        self._owner = owner
        self._keys = keys
        self.shape = shape
        us = 1_000_000
        ttl_ms = round(shape.window_s * 1000) + 1000
        self._args: list[int | str] = [
            shape.limit, round(shape.window_s * us), round(shape.interval_s * us), round(shape.tolerance_s * us),
            "", ttl_ms,
        ]
        self._fallback = WindowLog(fallback_shape(shape, owner.workers))

    async def admit(self) -> Admission:
        """Take a place in the shared window now, or learn how long to wait (Redis down: the local share)."""
        if self._owner.reachable():
            args = list(self._args)
            args[4] = self._owner.member()
            asked = self._owner.now()
            answer = await self._owner.call_admit(self._keys, args)
            if answer is not None:
                if answer[0]:
                    return Admission(answer[1] / 1e6, paused=answer[0] == _PAUSED)
                return Admission(place=_Place(str(args[4]), answer[2], asked))
        return Admission(self._fallback.try_admit(self._owner.now()))

    def left(self, place: object) -> None:
        """The call admitted at `place` leaves now; a late one is re-stamped where the service will count it."""
        if isinstance(place, _Place):
            late_s = self._owner.now() - place.asked
            if late_s > LATE_S:
                self._owner.publish_left(self._keys[0], place.member, place.stamp_us + round(late_s * 1e6))

    def pause(self, seconds: float) -> None:
        """Hold this quota in every worker for `seconds` (a 429's Retry-After)."""
        self._owner.publish_pause(self._keys[1], seconds)

