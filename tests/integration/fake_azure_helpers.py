"""The local fake of the paid service as the paid-extraction tests run it, and readings of its request log."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from tools.fake_azure import FakeAzureDI, FakeConfig, RequestRecord


@asynccontextmanager
async def fake_on_own_thread(config: FakeConfig) -> AsyncIterator[FakeAzureDI]:
    """The fake serving from its own thread and event loop, as the remote service would.

    Its request log then stamps each call when it reaches the server, not when the test's busy event loop
    gets round to reading it: the figures that rate tests assert on are the server's, not the client's.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-azure-di", daemon=True)
    thread.start()
    server = FakeAzureDI(config)
    try:
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(server.start(), loop))
        try:
            yield server
        finally:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(server.stop(), loop))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join)
        loop.close()


async def until(condition: Callable[[], bool], timeout_s: float, every_s: float = 0.01) -> None:
    """Wait until `condition()` holds (a fake on another thread has no awaitable of ours); TimeoutError if not."""
    async with asyncio.timeout(timeout_s):
        while True:
            if condition():
                return
            await asyncio.sleep(every_s)


def analyses(fake: FakeAzureDI) -> list[RequestRecord]:
    """The analyze requests the fake received, in order."""
    return [r for r in fake.requests if r.kind == "analyze"]


def max_in_any_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most events that fall within any `window` seconds (a sliding window over sorted times)."""
    ordered = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(ordered):
        while ordered[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best
