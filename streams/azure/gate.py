"""One quota of one endpoint (analyze, or get-result): pacing, a hard 1 s window, and Retry-After pauses.

The service counts calls per key in 1 s windows and answers 429 (with Retry-After) past the limit; a 429
costs a whole second of that quota, so the gate is built never to cause one:

* pacing: an `aiolimiter` leaky bucket admits one call per 1/(rate x headroom) s instead of bursting up to
  the rate (a burst then a steady drip would put almost twice the rate into one window). Its capacity is
  slightly over one call, so a wake-up a few ms late is absorbed instead of delaying every later call;
* a hard window: the moment each call actually leaves (its headers written to the socket, aiohttp's trace hook,
  reported through its `Ticket`) is logged, and a call is admitted only while fewer than `rate` calls left,
  or are about to leave, in the last `window_s` (1 s plus a guard). Event-loop stalls between admission
  and sending, which would squeeze calls together on the wire, are thereby caught where they happen;
* pauses: a 429's Retry-After stops this quota (only this one) until then;
* sharing: all of the above holds for one process. With several workers on one endpoint, a `SharedAdmission`
  (shared_quota.py, through Redis) is asked last, right before the ticket is handed out, so the workers
  together stay inside the quota, and a pause is passed on to it. One caller at a time goes through the
  gate, so a process has a single waiter at the shared quota instead of a crowd polling it. A call that
  leaves more than a few ms after its shared admission (an event-loop stall) moves its entry in the shared
  log to the moment it left, so the other workers count it where the service does.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiolimiter import AsyncLimiter

_CAPACITY = 1.1
_IDLE_RECHECK_S = 0.002


@dataclass(frozen=True, slots=True)
class Admission:
    """The shared quota's answer: admitted (`wait_s` 0, the place is taken) or how long to wait, and why.

    `place` identifies the admission in the shared log, so a call that leaves late can move it (`resent`).
    """

    wait_s: float = 0.0
    paused: bool = False
    place: object = None


class SharedAdmission(Protocol):
    """The part of a quota that other processes use too (implemented over Redis in shared_quota.py)."""

    async def admit(self) -> Admission:
        """Take one place now if there is one; never raises (it falls back to a local share)."""
        ...

    def pause(self, seconds: float) -> None:
        """Pass a Retry-After on to every process (fire and forget)."""
        ...

    def left(self, place: object) -> None:
        """The call admitted at `place` leaves now: if that is late, move it in the shared log (fire and forget)."""
        ...


class Ticket:
    """The right to send one call; report `sent()` as it leaves and `close()` when it is over."""

    __slots__ = ("_closed", "_gate", "_place", "_sent")

    def __init__(self, gate: RateGate, place: object = None) -> None:
        self._gate = gate
        self._place = place
        self._sent = False
        self._closed = False

    def sent(self, *_hook_args: object) -> None:
        """The call is on its way now (its headers are written: `_sdk._headers_sent`)."""
        if not self._sent:
            self._sent = True
            self._gate._on_sent(not self._closed, self._place)

    def close(self) -> None:
        """The call is over, or will never be sent; idempotent."""
        if not self._closed:
            self._closed = True
            if not self._sent:
                self._gate._pending -= 1


class RateGate:
    """Admits calls to one quota; see the module docstring."""

    __slots__ = (
        "_clock", "_limit", "_limiter", "_lock", "_paused_until", "_pending", "_sent", "_shared", "_window_s",
        "sent_total",
    )

    def __init__(
        self,
        rate: float,
        headroom: float = 0.97,
        clock: Callable[[], float] = time.monotonic,
        window_s: float = 1.015,
        shared: SharedAdmission | None = None,
    ) -> None:
        if rate <= 0 or not 0 < headroom <= 1:
            raise ValueError("rate must be > 0 and headroom in (0, 1]")
        self._limiter = AsyncLimiter(_CAPACITY, _CAPACITY / (rate * headroom))
        self._limit = max(1, math.floor(rate))
        self._window_s = window_s
        self._sent: deque[float] = deque()
        self._pending = 0
        self._paused_until = 0.0
        self._clock = clock
        self._shared = shared
        self._lock = asyncio.Lock()
        self.sent_total = 0
        """Calls that left through this gate (the worker's metrics)."""

    def pause(self, seconds: float) -> None:
        """Send nothing on this quota for `seconds` (from a 429's Retry-After), in every process sharing it."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        if self._shared is not None:
            self._shared.pause(seconds)

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def usage(self) -> tuple[int, int]:
        """Calls that left in the last window, and how many the window allows (this process' view)."""
        since = self._clock() - self._window_s
        return sum(1 for t in self._sent if t > since), self._limit

    def _on_sent(self, still_pending: bool, place: object) -> None:
        if still_pending:
            self._pending -= 1
        self._sent.append(self._clock())
        self.sent_total += 1
        if place is not None and self._shared is not None:
            self._shared.left(place)

    def _window_wait(self) -> float:
        """0 if one more call fits the window now, else how long until it might."""
        now = self._clock()
        while self._sent and self._sent[0] <= now - self._window_s:
            self._sent.popleft()
        if self._pending + len(self._sent) < self._limit:
            return 0.0
        return self._sent[0] + self._window_s - now if self._sent else _IDLE_RECHECK_S

    async def _shared_admit(self) -> Admission | None:
        """Wait for a place in the quota shared with other processes; None if it is paused there."""
        if self._shared is None:
            return Admission()
        while True:
            verdict = await self._shared.admit()
            if verdict.wait_s <= 0:
                return verdict
            if verdict.paused:  # another worker saw a 429: pause here too (routing sees it)
                self._paused_until = max(self._paused_until, self._clock() + verdict.wait_s)
                return None
            await asyncio.sleep(verdict.wait_s + _IDLE_RECHECK_S)

    async def admit(self) -> Ticket:
        """Wait until one call may be sent; the caller must `close()` the ticket in a finally."""
        async with self._lock:
            while True:
                delay = self.paused_for()
                if delay > 0:
                    await asyncio.sleep(delay)
                    continue
                await self._limiter.acquire()
                while True:
                    wait = self._window_wait()
                    if wait <= 0:
                        break
                    await asyncio.sleep(max(wait, _IDLE_RECHECK_S))
                verdict = await self._shared_admit()
                if verdict is not None and self.paused_for() <= 0:
                    self._pending += 1
                    return Ticket(self, verdict.place)
