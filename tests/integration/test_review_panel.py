"""The dashboard's review panel in a real headless Chromium: the queue, the extracted fields beside inputs,
save = the review published and stored by a real review worker, after which the invoice leaves the queue."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.settings import Settings
from schemas import Decision
from streams.admin import ensure_topics
from streams.sinks.postgres import PostgresRecords
from streams.sinks.tokens import TokenStore
from tests.integration.browser_helpers import chromium
from tests.integration.service_helpers import serving
from tests.records_helpers import scored

pytestmark = pytest.mark.integration

async def test_a_reviewer_corrects_a_field_and_saves_from_the_dashboard(settings: Settings, pool: Any, run_id: str,
                                                                         worker_factory: Any) -> None:
    from playwright.async_api import expect

    tenant = f"panel-{run_id}"
    waiting = [scored(f"{run_id}-{n}", tenant, decision=Decision.REVIEW) for n in range(2)]
    await PostgresRecords(pool).write_scored(waiting)
    info, token = await TokenStore(pool).add(tenant, "panel test")
    await ensure_topics(settings)
    worker_factory("review")
    first = waiting[0]
    assert first.invoice is not None
    try:
        async with serving(settings) as base, chromium() as browser:
            page = await browser.new_page()
            await page.goto(f"{base}/#token={token}&tenant={tenant}")
            item = page.locator(f'#review-list li[data-invoice="{first.invoice_id}"]')
            await expect(item).to_have_count(1, timeout=20_000)
            await expect(page.locator("#review-list li")).to_have_count(2)
            await item.click()
            await expect(page.locator("#review-title")).to_have_text(first.invoice_id)
            number = page.locator("#review-fields tr", has=page.locator('input[name="invoice_number"]'))
            await expect(number.locator("td").nth(1)).to_have_text(first.invoice.invoice_number or "-")
            await page.fill('input[name="invoice_number"]', "REAL-9")
            await page.select_option("#review-decision", "reject")
            await page.click("#review-form button[type=submit]")
            await expect(page.locator("#review-result")).to_have_text("saved (1 correction(s), reject)")
            await page.click("#review-reload")
            await expect(item).to_have_count(0, timeout=60_000)  # stored by the worker: reviewed
            await expect(page.locator("#review-list li")).to_have_count(1)
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT corrections::text, decision, reviewer FROM reviews WHERE tenant_id = $1"
                                      " AND invoice_id = $2", tenant, first.invoice_id)
        assert json.loads(row["corrections"]) == {"invoice_number": "REAL-9"}
        assert row["decision"] == "reject" and row["reviewer"] == f"token:{info.token_id}"
    finally:
        await TokenStore(pool).delete(info.token_id)
        await PostgresRecords(pool).delete_tenant(tenant)
