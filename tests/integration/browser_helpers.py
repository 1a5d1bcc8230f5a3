"""Debian's headless Chromium driven by Playwright, for the dashboard's tests (the service: `service_helpers`)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


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
