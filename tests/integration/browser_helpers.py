"""The service under uvicorn on a loopback port and Debian's headless Chromium, for the dashboard's tests."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from config.settings import Settings
from streams.service.server import server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """`invoiceflow serve` on an ephemeral loopback port while the block runs; yields its base URL."""
    uvicorn = server(settings, port=0)
    task = asyncio.create_task(uvicorn.serve())
    try:
        while not uvicorn.started:
            await asyncio.sleep(0.05)
            assert not task.done(), "the service did not start"
        host, port = uvicorn.servers[0].sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        uvicorn.should_exit = True
        await task


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless Chromium (Debian's package, driven by Playwright) while the block runs."""
    from playwright.async_api import async_playwright

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium package is needed (make setup installs it)"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
