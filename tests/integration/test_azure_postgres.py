"""The PostgreSQL operation store on the real local server: rows survive a killed worker, spend adds up."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr

from config.settings import Settings
from streams.azure import (
    AzureExtractor,
    EndpointConfig,
    EndpointPool,
    ExtractorConfig,
    PostgresOperationStore,
    ResumeAction,
)
from streams.errors import SinkError
from streams.sinks.postgres import open_pool
from tools.fake_azure import FakeAzureDI, FakeConfig

pytestmark = pytest.mark.integration

MODEL = "prebuilt-invoice"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


async def test_round_trip_resubmit_and_daily_spend(stack: None) -> None:
    pool = await open_pool(Settings().postgres_dsn.get_secret_value(), 2)
    store = PostgresOperationStore(pool)
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    sha_a, sha_b = "a" * 64, "b" * 64
    try:
        assert await store.get(tenant, sha_a, MODEL) is None
        await store.put_submitted(tenant, sha_a, MODEL, "ep0", "http://x/op/1", NOW)
        row = await store.get(tenant, sha_a, MODEL)
        assert row is not None and row.result is None and row.submitted_at == NOW and row.endpoint == "ep0"
        result = {"modelId": MODEL, "pages": [{"pageNumber": 1}], "documents": [{"fields": {"a": 1.5}}]}
        await store.put_result(tenant, sha_a, MODEL, result, 1, Decimal("0.01"), NOW)
        done = await store.get(tenant, sha_a, MODEL)
        assert done is not None and done.result == result and done.pages == 1 and done.usd == Decimal("0.01")
        await store.put_submitted(tenant, sha_b, MODEL, "ep0", "http://x/op/2", NOW)
        await store.put_result(tenant, sha_b, MODEL, result, 4, Decimal("0.04"), NOW + timedelta(days=1))
        billed = await store.billed_on(tenant, NOW.date())
        assert (billed.pages, billed.usd) == (1, Decimal("0.01"))
        # a resubmission (operation expired) replaces the row and forgets the old result
        await store.put_submitted(tenant, sha_a, MODEL, "ep1", "http://x/op/3", NOW + timedelta(days=2))
        again = await store.get(tenant, sha_a, MODEL)
        assert again is not None and again.result is None and again.operation_location == "http://x/op/3"
    finally:
        await pool.execute("DELETE FROM paid_operations WHERE tenant_id = $1", tenant)
        await pool.close()
    with pytest.raises(SinkError):
        await store.get(tenant, sha_a, MODEL)  # closed pool: translated, retriable


async def test_killed_worker_resumes_from_postgres_without_a_second_analyze(stack: None) -> None:
    dsn = Settings().postgres_dsn.get_secret_value()
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    data = b"%PDF-1.7\n% resume " + tenant.encode()
    sha = hashlib.sha256(data).hexdigest()
    config = ExtractorConfig(first_poll_delay_s=0.1, poll_interval_s=0.1)
    fake = FakeAzureDI(FakeConfig(latency_s=1.0))
    await fake.start()
    endpoint = EndpointConfig("ep0", fake.url, SecretStr("fake-key"))
    try:
        pool = await open_pool(dsn, 2)
        first = AzureExtractor(EndpointPool([endpoint]), PostgresOperationStore(pool), config)
        task = asyncio.create_task(first.analyze(data, sha256=sha, model_id=MODEL, tenant_id=tenant, budget_s=30))
        async with asyncio.timeout(5):
            await fake.wait_for(lambda r: r.kind == "get")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await first.aclose()
        await pool.close()  # the "worker" is gone, connections and all

        pool = await open_pool(dsn, 2)
        async with AzureExtractor(EndpointPool([endpoint]), PostgresOperationStore(pool), config) as second:
            outcome = await second.analyze(data, sha256=sha, model_id=MODEL, tenant_id=tenant, budget_s=30)
        assert outcome.source is ResumeAction.RESUME
        assert [r.sha256 for r in fake.accepted_analyses()] == [sha]
        billed = await PostgresOperationStore(pool).billed_on(tenant, datetime.now(UTC).date())
        assert (billed.pages, billed.usd) == (1, Decimal("0.01"))
        await pool.execute("DELETE FROM paid_operations WHERE tenant_id = $1", tenant)
        await pool.close()
    finally:
        await fake.stop()
