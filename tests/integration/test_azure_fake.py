"""The real azure-ai-documentintelligence SDK, driven by our extractor, against the local fake service.

What the fake's request log proves: the analyze rate is never exceeded over any 1 s window, 429 and 5xx
are survived with exactly one billed analyze per document, a 400 is permanent with the service's code, the
SDK itself never retries, and a worker killed mid-poll resumes the stored operation instead of paying again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from pydantic import SecretStr

from agents.readers.azure_map import map_analyze_result
from streams.azure import (
    AzureExtractor,
    AzureInvalidDocument,
    AzurePageBudgetExhausted,
    AzureTimeBudgetExceeded,
    BreakerPolicy,
    EndpointConfig,
    EndpointPool,
    ExtractorConfig,
    MemoryOperationStore,
    OperationStore,
    ResumeAction,
    build_client,
)
from streams.errors import SinkError
from tests.integration.fake_azure_helpers import analyses, fake_on_own_thread, max_in_any_window
from tools.fake_azure import FakeAzureDI, FakeConfig, FakeDocument, FakeLine, invoice_fields

pytestmark = pytest.mark.integration

MODEL = "prebuilt-invoice"
FAST = ExtractorConfig(first_poll_delay_s=0.1, poll_interval_s=0.1, backoff_factor_s=0.05, backoff_max_s=0.5)


def doc(i: int | str) -> tuple[bytes, str]:
    data = b"%PDF-1.7\n% test document " + str(i).encode()
    return data, hashlib.sha256(data).hexdigest()


@asynccontextmanager
async def fakes(*configs: FakeConfig) -> AsyncIterator[list[FakeAzureDI]]:
    started = [FakeAzureDI(c) for c in configs]
    for fake in started:
        await fake.start()
    try:
        yield started
    finally:
        for fake in started:
            await fake.stop()


def extractor(
    servers: Sequence[FakeAzureDI],
    store: OperationStore,
    config: ExtractorConfig = FAST,
    breaker: BreakerPolicy | None = None,
    max_in_flight: int = 48,
) -> AzureExtractor:
    endpoints = [
        EndpointConfig(f"ep{i}", s.url, SecretStr("fake-key"), s.config.analyze_rps, s.config.get_rps, max_in_flight)
        for i, s in enumerate(servers)
    ]
    return AzureExtractor(EndpointPool(endpoints, breaker), store, config)


async def test_the_sdk_itself_never_retries() -> None:
    async with fakes(FakeConfig(latency_s=0.1)) as [fake]:
        endpoint = EndpointConfig("ep", fake.url, SecretStr("fake-key"))
        client = build_client(endpoint, FAST)
        fake.inject("analyze", [503])
        with pytest.raises(HttpResponseError):
            await client.begin_analyze_document(MODEL, doc(1)[0], polling=False)
        await client.close()
        assert len(analyses(fake)) == 1
        # control: the same SDK with one retry allowed would have sent a second request
        from azure.ai.documentintelligence.aio import DocumentIntelligenceClient
        from azure.core.credentials import AzureKeyCredential

        retrying = DocumentIntelligenceClient(fake.url, AzureKeyCredential("fake-key"), retry_total=1,
                                              retry_backoff_factor=0.01)
        fake.inject("analyze", [503])
        await retrying.begin_analyze_document(MODEL, doc(2)[0], polling=False)
        await retrying.close()
        assert [r.status for r in analyses(fake)] == [503, 503, 202]


async def test_never_exceeds_the_analyze_rate_in_any_second() -> None:
    docs = [doc(i) for i in range(60)]
    async with (
        fake_on_own_thread(FakeConfig(analyze_rps=15, latency_s=0.3)) as fake,
        extractor([fake], MemoryOperationStore()) as ex,
    ):
        outcomes = await asyncio.gather(*(
            ex.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=60) for data, sha in docs
        ))
    sent = analyses(fake)
    assert len(outcomes) == 60 and all(o.source is ResumeAction.SUBMIT for o in outcomes)
    assert max_in_any_window([r.t for r in sent]) <= 15
    assert Counter(r.status for r in fake.requests)[429] == 0
    assert len(sent) == 60 and {r.sha256 for r in sent} == {sha for _, sha in docs}
    span = max(r.t for r in sent) - min(r.t for r in sent)
    assert 59 / span > 0.9 * 15  # and the quota is used, not wasted


async def test_recovers_from_429_and_5xx_without_paying_twice() -> None:
    config = FakeConfig(latency_s=0.2, failure_rates={"analyze": 0.2, "get": 0.2}, seed=7)
    async with fakes(config) as [fake]:
        fake.inject("analyze", [429, 500, 503])
        fake.inject("get", [503, 429, 500])
        async with extractor([fake], MemoryOperationStore(), breaker=BreakerPolicy(50, 1.0)) as ex:
            docs = [doc(f"r{i}") for i in range(25)]
            outcomes = await asyncio.gather(*(
                ex.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=60) for data, sha in docs
            ))
    statuses = Counter((r.kind, r.status) for r in fake.requests)
    assert statuses[("analyze", 429)] >= 1 and statuses[("get", 429)] >= 1
    assert statuses[("analyze", 500)] + statuses[("analyze", 503)] >= 2
    assert statuses[("get", 500)] + statuses[("get", 503)] >= 2
    billed = Counter(r.sha256 for r in fake.accepted_analyses())
    assert set(billed) == {sha for _, sha in docs} and set(billed.values()) == {1}
    assert all(o.submissions == 1 for o in outcomes)


async def test_invalid_document_is_a_permanent_error_with_the_service_code() -> None:
    async with fakes(FakeConfig(latency_s=0.1)) as [fake], extractor([fake], MemoryOperationStore()) as ex:
        bad = b"this is not a pdf"
        with pytest.raises(AzureInvalidDocument) as caught:
            await ex.analyze(bad, sha256=hashlib.sha256(bad).hexdigest(), model_id=MODEL,
                             tenant_id="t", budget_s=10)
    assert caught.value.service_code == "InvalidContent" and caught.value.status == 400
    assert caught.value.retriable is False and caught.value.code == "paid_invalid_document"
    assert [r.status for r in analyses(fake)] == [400]  # refused once, never retried


async def test_killed_mid_poll_resumes_the_stored_operation() -> None:
    store = MemoryOperationStore()
    data, sha = doc("kill")
    async with fakes(FakeConfig(latency_s=1.0)) as [fake]:
        first = extractor([fake], store)
        task = asyncio.create_task(first.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=30))
        async with asyncio.timeout(5):
            await fake.wait_for(lambda r: r.kind == "get")  # polling has begun
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await first.aclose()
        assert (await store.get("t", sha, MODEL)) is not None

        async with extractor([fake], store) as second:
            resumed = await second.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=30)
            seen = len(fake.requests)
            reused = await second.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=30)
    assert resumed.source is ResumeAction.RESUME and resumed.submissions == 0
    assert [r.sha256 for r in fake.accepted_analyses()] == [sha]  # one analyze, ever
    assert reused.source is ResumeAction.REUSE and len(fake.requests) == seen  # no request at all
    assert reused.result == resumed.result and reused.usd == Decimal("0.01")


async def test_budget_overrun_is_retriable_and_the_retry_pays_nothing_more() -> None:
    store = MemoryOperationStore()
    data, sha = doc("slow")
    async with fakes(FakeConfig(latency_s=1.5)) as [fake], extractor([fake], store) as ex:
        with pytest.raises(AzureTimeBudgetExceeded) as caught:
            await ex.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=0.5)
        assert caught.value.retriable
        later = await ex.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=10)
    assert later.source is ResumeAction.RESUME
    assert len(fake.accepted_analyses()) == 1


async def test_expired_operation_is_submitted_again() -> None:
    store = MemoryOperationStore()
    data, sha = doc("expired")
    async with fakes(FakeConfig(latency_s=1.0)) as [fake], extractor([fake], store) as ex:
        with pytest.raises(AzureTimeBudgetExceeded):
            await ex.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=0.3)
        fake.expire_all()  # as 24 h later
        fake.latency_s = 0.1
        again = await ex.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=10)
    assert again.source is ResumeAction.SUBMIT
    assert len(fake.accepted_analyses()) == 2
    assert any(r.kind == "get" and r.status == 404 for r in fake.requests)


async def test_a_failing_endpoint_is_cut_off_and_the_other_takes_the_load() -> None:
    broken = FakeConfig(latency_s=0.1, failure_rates={"analyze": 1.0}, failure_statuses=(500,))
    docs = [doc(f"b{i}") for i in range(30)]
    async with (
        fakes(broken, FakeConfig(latency_s=0.1)) as [bad, good],
        extractor([bad, good], MemoryOperationStore(), breaker=BreakerPolicy(3, 60.0)) as ex,
    ):
        outcomes = await asyncio.gather(*(
            ex.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=30) for data, sha in docs
        ))
    assert {o.endpoint for o in outcomes} == {"ep1"}
    assert 3 <= len(analyses(bad)) <= 4  # the threshold (and one already sent), then the circuit stays open
    assert len(good.accepted_analyses()) == 30


async def test_url_source_and_truth_round_trip_into_invoice_data() -> None:
    data, sha = doc("truth")
    url = "https://documents.example/invoice-17.pdf"
    fields = invoice_fields(
        invoice_id="INV-17", invoice_date=date(2024, 2, 1), currency="EUR", invoice_total=Decimal("119.00"),
        vendor_name="Acme GmbH", vendor_tax_id="DE123456789", sub_total=Decimal("100.00"),
        total_tax=Decimal("19.00"), amount_due=Decimal("119.00"), iban="DE89 3704 0044 0532 0130 00",
        lines=[FakeLine("Widget", Decimal(4), Decimal("25.00"), Decimal("100.00"), unit="pcs", tax_rate="19%")],
    )
    async with fakes(FakeConfig(latency_s=0.1)) as [fake]:
        fake.truth_by_sha256[sha] = FakeDocument(fields=fields, pages=3)
        fake.documents_by_url[url] = data
        async with extractor([fake], MemoryOperationStore()) as ex:
            outcome = await ex.analyze(url, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=10)
    invoice, pages = map_analyze_result(outcome.result)
    assert (pages, outcome.pages, outcome.usd) == (3, 3, Decimal("0.03"))
    assert invoice.invoice_number == "INV-17" and invoice.amount_due == Decimal("119.00")
    assert invoice.seller_iban == "DE89370400440532013000" and invoice.lines[0].unit == "C62"
    assert [r.sha256 for r in fake.accepted_analyses()] == [sha]


async def test_daily_page_budget_stops_spending() -> None:
    config = ExtractorConfig(first_poll_delay_s=0.1, poll_interval_s=0.1, daily_page_budget={"t": 1})
    async with fakes(FakeConfig(latency_s=0.1)) as [fake], extractor([fake], MemoryOperationStore(), config) as ex:
        first, sha1 = doc("p1")
        await ex.analyze(first, sha256=sha1, model_id=MODEL, tenant_id="t", budget_s=10)
        second, sha2 = doc("p2")
        with pytest.raises(AzurePageBudgetExhausted) as caught:
            await ex.analyze(second, sha256=sha2, model_id=MODEL, tenant_id="t", budget_s=10)
        other = await ex.analyze(second, sha256=sha2, model_id=MODEL, tenant_id="other", budget_s=10)
    assert caught.value.retriable and other.pages == 1
    assert [r.sha256 for r in fake.accepted_analyses()] == [sha1, sha2]


async def test_the_same_document_twice_at_once_is_analyzed_once() -> None:
    data, sha = doc("twice")
    async with fakes(FakeConfig(latency_s=0.2)) as [fake], extractor([fake], MemoryOperationStore()) as ex:
        outcomes = await asyncio.gather(*(
            ex.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=10) for _ in range(3)
        ))
    assert sorted(o.source for o in outcomes) == [ResumeAction.REUSE, ResumeAction.REUSE, ResumeAction.SUBMIT]
    assert len(fake.accepted_analyses()) == 1


class FlakyStore(MemoryOperationStore):
    """The database refuses the first operation write (after the service has accepted the analyze)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def put_submitted(self, *args: Any) -> None:
        if self.refused == 0:
            self.refused += 1
            raise SinkError("postgres down")
        await super().put_submitted(*args)


async def test_a_paid_operation_is_finished_even_when_the_store_write_fails() -> None:
    store = FlakyStore()
    data, sha = doc("flaky")
    async with fakes(FakeConfig(latency_s=0.2)) as [fake], extractor([fake], store) as ex:
        outcome = await ex.analyze(data, sha256=sha, model_id=MODEL, tenant_id="t", budget_s=10)
    assert store.refused == 1 and outcome.submissions == 1
    row = await store.get("t", sha, MODEL)
    assert row is not None and row.result is not None and row.operation_location == outcome.operation_location
    assert len(fake.accepted_analyses()) == 1
