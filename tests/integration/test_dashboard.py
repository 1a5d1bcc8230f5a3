"""Issue 12's acceptance: 1,000 invoices with a worker SIGKILLed twice mid-run; the API's totals per tenant equal
what PostgreSQL holds, exactly; the dashboard, in a real headless Chromium, shows the same numbers, and invoices
published while it is open appear in its live feed and can be looked up.

It runs on the chaos stack (its own Kafka, Redis and PostgreSQL) with the chaos tool's workers and publisher;
the service runs under uvicorn on a loopback port, the browser is Debian's `chromium` driven by Playwright.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from config.settings import Settings
from streams.sinks.postgres import open_pool
from streams.sinks.tokens import TokenStore
from tests.integration.browser_helpers import chromium
from tests.integration.service_helpers import serving
from tools.chaos import ChaosConfig, ChaosStack, format_tally
from tools.chaos._load import Upstream, invoices
from tools.chaos._scenarios import Run, Scenario, run_scenario

pytestmark = pytest.mark.integration


async def _kill_twice(run: Run, seconds: float) -> None:
    """SIGKILL one worker, restart it; a few seconds later the other; all while invoices are published."""
    for i in range(2):
        run.workers.kill(i)
        await run.restart_worker(i, 1.0)
        await asyncio.sleep(seconds)


async def _records(settings: Settings, tenant: str) -> dict[str, Any]:
    """What PostgreSQL holds for `tenant`: invoices, by decision, and dead letters."""
    conn = await asyncpg.connect(settings.postgres_dsn.get_secret_value(), timeout=10)
    try:
        decisions = {r["decision"]: r["n"] for r in await conn.fetch(
            "SELECT decision, count(*) AS n FROM invoices WHERE tenant_id = $1 GROUP BY decision", tenant)}
        dead = await conn.fetchval("SELECT count(*) FROM dead_letters WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()
    return {"scored": sum(decisions.values()), "decisions": decisions, "dead_letters": int(dead)}


async def _unreadable_recorded(settings: Settings) -> int:
    """Dead letters of records Kafka's client could not decode, recorded in PostgreSQL for this run's topics."""
    conn = await asyncpg.connect(settings.postgres_dsn.get_secret_value(), timeout=10)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM dead_letters WHERE reason = 'unreadable_record'"
                                       " AND starts_with(topic, $1)", settings.topic_prefix))
    finally:
        await conn.close()


async def _api_totals(base: str, token: str, tenant: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as client:
        answer = await client.get("/api/v1/metrics", params={"tenant": tenant, "window": "day"},
                                  headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    totals = orjson.loads(answer.content)["totals"]
    return {"scored": totals["scored"], "decisions": totals["decisions"],
            "dead_letters": totals["dead_letters"]["total"]}


async def _look(run: Run, tenants: tuple[str, str], paths: list[Path], seen: dict[str, Any]) -> None:
    settings = run.settings.model_copy(update={"service_heartbeat_s": 1.0})
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 2)
    store = TokenStore(pool)
    tokens = {t: (await store.add(t, "dashboard test"))[1] for t in tenants}
    try:
        async with serving(settings) as base:
            async with httpx.AsyncClient(base_url=base) as client:
                mine = {"Authorization": f"Bearer {tokens[tenants[0]]}"}
                for _ in range(300):  # ready, and the token hashes loaded
                    if (await client.get("/health/ready")).status_code == 200 and (
                            await client.get("/api/v1/metrics", headers=mine)).status_code == 200:
                        break
                    await asyncio.sleep(0.1)
            seen["unreadable"] = await _unreadable_recorded(settings)
            for tenant in tenants:  # the API's totals are PostgreSQL's counts, exactly
                seen[tenant] = (await _api_totals(base, tokens[tenant], tenant), await _records(settings, tenant))
                assert seen[tenant][0] == seen[tenant][1], seen[tenant]
            await _browse(base, tokens[tenants[0]], tenants, paths, settings, seen[tenants[0]][1])
    finally:
        await pool.close()


async def _browse(base: str, token: str, tenants: tuple[str, str], paths: list[Path], settings: Settings,
                  held: dict[str, Any]) -> None:
    from playwright.async_api import expect

    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(base + "/")
        await page.fill("#token", token)
        await page.fill("#tenant", tenants[0])
        await page.click("#login button[type=submit]")
        # the numbers PostgreSQL holds, as the page shows them
        await expect(page.locator("#kpi-scored")).to_have_text(f"{held['scored']:,}", timeout=15_000)
        d = held["decisions"]
        await expect(page.locator("#kpi-decisions")).to_have_text(
            " / ".join(f"{d.get(k, 0):,}" for k in ("auto_approve", "review", "reject")))
        await expect(page.locator("#kpi-dead")).to_have_text(f"{held['dead_letters']:,}")
        await expect(page.locator("#status")).to_have_text("live", timeout=15_000)
        # published now: each of the tenant's invoices appears in the live feed, the other tenant's do not
        fresh = invoices(paths[:10], tenants, settings)
        async with Upstream(settings) as upstream:
            await upstream.send(fresh)
        mine = [m.key.decode() for m in fresh if m.tenant == tenants[0]]
        theirs = [m.key.decode() for m in fresh if m.tenant == tenants[1]]
        for invoice_id in mine:
            await expect(page.locator(f'#feed li[data-invoice="{invoice_id}"]')).to_have_count(1, timeout=60_000)
        assert await page.locator('#feed li[data-kind="scored"]').count() == len(mine)
        for invoice_id in set(theirs) - set(mine):
            assert await page.locator(f'#feed li[data-invoice="{invoice_id}"]').count() == 0
        await expect(page.locator("#kpi-scored")).to_have_text(f"{held['scored'] + len(mine):,}", timeout=15_000)
        # and one of them looked up: its journey
        await page.click(f'#feed li[data-invoice="{mine[0]}"]')
        await expect(page.locator("#journey")).to_have_attribute("data-invoice", mine[0], timeout=10_000)
        await expect(page.locator("#journey dl")).to_contain_text("detect / extract / score")
        await page.fill("#invoice", "no-such-invoice")
        await page.click("#search button[type=submit]")
        await expect(page.locator("#journey .error")).to_contain_text("404")


async def test_after_two_kills_the_api_and_the_dashboard_show_exactly_what_postgresql_holds(
    chaos_stack: ChaosStack,
) -> None:
    scenario = Scenario("kill2", "SIGKILL each worker once, mid-run", _kill_twice, 6.0, 6.0, hostile=True)
    config = replace(ChaosConfig.short(), count=1000, rate=50.0, fault_after_s=4.0)
    seen: dict[str, Any] = {}

    async def look(run: Run, tenants: tuple[str, str], paths: list[Path]) -> None:
        await _look(run, tenants, paths, seen)

    result = await run_scenario(chaos_stack, scenario, config, uuid.uuid4().hex[:6], inspect=look)
    report = format_tally(result)
    print(f"\n{report}\n  API = PostgreSQL: {seen}")
    assert result.invoices_in == 1000 and result.lost == 0 and result.duplicated == 0, report
    assert not any(result.mismatch.values()) and result.hostile_missed == 0, report
    assert len(seen) == 3, "the API and the dashboard were not looked at (the run did not drain?)"
    assert seen.pop("unreadable") == 2  # the two records no client can decode: recorded once each
    _, held = next(iter(seen.values()))
    assert held["dead_letters"] > 0  # the hostile records' dead letters were recorded and counted
