"""A value read from a store and kept, reloaded at most every `refresh_s`: what a stage consults per invoice
(custom model routes, vendor layouts) without a query per invoice.

Concurrent readers that find it stale wait for one reload; a reload that fails with a `SinkError` keeps the last
value (or the initial one) and is tried again after `refresh_s`, so a store that is down never blocks the stage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from streams.errors import SinkError

V = TypeVar("V")

_log = logging.getLogger("invoiceflow.sinks")


class Reloaded(Generic[V]):
    """`load()`'s latest value, reloaded at most every `refresh_s` (`what` names it in the log)."""

    def __init__(self, load: Callable[[], Awaitable[V]], initial: V, refresh_s: float, what: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._value = initial
        self._refresh_s = refresh_s
        self._what = what
        self._clock = clock
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()
        self.loads = 0

    def _stale(self) -> bool:
        return self._loaded_at is None or self._clock() - self._loaded_at >= self._refresh_s

    async def get(self) -> V:
        """The value, reloaded first if it is older than `refresh_s`."""
        if self._stale():
            async with self._lock:
                if self._stale():  # else another reader reloaded it while this one waited
                    try:
                        self._value = await self._load()
                        self.loads += 1
                    except SinkError as exc:
                        _log.warning("%s not reloaded, keeping the last: %s", self._what, exc)
                    self._loaded_at = self._clock()
        return self._value
