"""Run `invoiceflow serve`'s uvicorn server inside a test, on a free loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from config.settings import Settings
from streams.service.server import server


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """The service under uvicorn as `invoiceflow serve` runs it; yields its base URL, stops it after."""
    uvicorn = server(settings, port=0)
    task = asyncio.create_task(uvicorn.serve())
    try:
        for _ in range(400):
            if uvicorn.started or task.done():
                break
            await asyncio.sleep(0.05)
        assert uvicorn.started, "the service did not start"
        host, port = uvicorn.servers[0].sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        uvicorn.should_exit = True
        await task
