"""One quota of one endpoint (analyze, or get-result): pacing, a hard 1 s window, and Retry-After pauses.

The service counts calls per key in 1 s windows and answers 429 (with Retry-After) past the limit; a 429
costs a whole second of that quota, so the gate is built never to cause one:

* pacing: an `aiolimiter` leaky bucket admits one call per 1/(rate x headroom) s instead of bursting up to
  the rate (a burst then a steady drip would put almost twice the rate into one window). Its capacity is
  slightly over one call, so a wake-up a few ms late is absorbed instead of delaying every later call;
* a hard window: the moment each call actually leaves (the SDK pipeline's last hook before the socket,
  reported through its `Ticket`) is logged, and a call is admitted only while fewer than `rate` calls left,
  or are about to leave, in the last `window_s` (1 s plus a guard). Event-loop stalls between admission
  and sending, which would squeeze calls together on the wire, are thereby caught where they happen;
* pauses: a 429's Retry-After stops this quota (only this one) until then.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

from aiolimiter import AsyncLimiter

_CAPACITY = 1.1
_IDLE_RECHECK_S = 0.002


class Ticket:
    """The right to send one call; report `sent()` as it leaves and `close()` when it is over."""

    __slots__ = ("_closed", "_gate", "_sent")

    def __init__(self, gate: RateGate) -> None:
        self._gate = gate
        self._sent = False
        self._closed = False

    def sent(self, *_hook_args: object) -> None:
        """Usable as the SDK's `raw_request_hook`: the call is on its way now."""
        if not self._sent:
            self._sent = True
            self._gate._on_sent(still_pending=not self._closed)

    def close(self) -> None:
        """The call is over, or will never be sent; idempotent."""
        if not self._closed:
            self._closed = True
            if not self._sent:
                self._gate._pending -= 1


class RateGate:
    """Admits calls to one quota; see the module docstring."""

    __slots__ = ("_clock", "_limit", "_limiter", "_paused_until", "_pending", "_sent", "_window_s")

    def __init__(
        self,
        rate: float,
        headroom: float = 0.97,
        clock: Callable[[], float] = time.monotonic,
        window_s: float = 1.015,
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

    def pause(self, seconds: float) -> None:
        """Send nothing on this quota for `seconds` (from a 429's Retry-After)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def _on_sent(self, still_pending: bool) -> None:
        if still_pending:
            self._pending -= 1
        self._sent.append(self._clock())

    def _window_wait(self) -> float:
        """0 if one more call fits the window now, else how long until it might."""
        now = self._clock()
        while self._sent and self._sent[0] <= now - self._window_s:
            self._sent.popleft()
        if self._pending + len(self._sent) < self._limit:
            return 0.0
        return self._sent[0] + self._window_s - now if self._sent else _IDLE_RECHECK_S

    async def admit(self) -> Ticket:
        """Wait until one call may be sent; the caller must `close()` the ticket in a finally."""
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
            if self.paused_for() <= 0:
                self._pending += 1
                return Ticket(self)
