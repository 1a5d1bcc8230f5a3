"""Custom models end to end against real stand-ins: reviews stored by a real review stage are the training set,
Azurite holds it, the local fake of Document Intelligence builds the model from it (through the official
clients), PostgreSQL registers it, and a worker then reads that vendor's next invoice with it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from azure.storage.blob.aio import ContainerClient

from agents.train import train
from config.settings import Settings
from config.topics import REVIEWED
from schemas import InvoiceReviewed, InvoiceScored
from streams.admin import ensure_topics
from streams.codecs import encode
from streams.errors import TrainingRejected
from streams.publisher import received_for_file
from streams.sinks.postgres import PostgresRecords
from streams.topics import topic_name
from streams.training import DocumentService, ModelRegistry, TrainingStorage
from tests.integration.conftest import REPO, env_for
from tests.integration.fake_azure_helpers import fake_on_own_thread
from tests.integration.kafka_helpers import collect, produce
from tests.labelled_examples import MemoryExamples, labelled_example, reviewer_corrections, write_examples_jsonl
from tools.fake_azure import FakeAzureDI, FakeConfig, FakeDocument, invoice_fields
from tools.samples import generate_vendor_series

pytestmark = pytest.mark.integration

BASE_DATE = date(2026, 11, 1)
FAKE = FakeConfig(latency_s=0.2, build_latency_s=0.3)


def _azurite() -> dict[str, str]:
    """The local stack's emulator account (infra/azurite.env), unless the environment names another."""
    lines = (REPO / "infra" / "azurite.env").read_text().splitlines()
    found = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return found


@pytest_asyncio.fixture(loop_scope="function")
async def blob(settings: Settings, run_id: str) -> AsyncIterator[Settings]:
    """Settings with this test's own container in Azurite; proven to answer by creating it; deleted after."""
    account = _azurite()
    with_blob = settings.model_copy(update={
        "blob_url": account["INVOICEFLOW_BLOB_URL"], "blob_account": account["INVOICEFLOW_BLOB_ACCOUNT"],
        "blob_key": Settings(blob_key=account["INVOICEFLOW_BLOB_KEY"]).blob_key,
        "blob_container": f"t{run_id}", "training_poll_interval_s": 0.1,
    })
    credential = {"account_name": with_blob.blob_account, "account_key": account["INVOICEFLOW_BLOB_KEY"]}
    async with ContainerClient(with_blob.blob_url, with_blob.blob_container, credential=credential) as container:
        await container.create_container()
        yield with_blob
        await container.delete_container()


def _with_fake(settings: Settings, fake: FakeAzureDI) -> Settings:
    endpoints = Settings(azure_endpoints=[{"name": "fake-1", "url": fake.url, "key": "fake-key"}]).azure_endpoints
    return settings.model_copy(update={"azure_endpoints": endpoints})


def _env(settings: Settings, fake: FakeAzureDI, **extra: str) -> dict[str, str]:
    assert settings.blob_key is not None
    return env_for(settings, INVOICEFLOW_AZURE_ENDPOINTS=json.dumps([{"name": "fake-1", "url": fake.url,
                                                                      "key": "fake-key"}]),
                   INVOICEFLOW_BLOB_URL=settings.blob_url, INVOICEFLOW_BLOB_ACCOUNT=settings.blob_account,
                   INVOICEFLOW_BLOB_KEY=settings.blob_key.get_secret_value(),
                   INVOICEFLOW_BLOB_CONTAINER=settings.blob_container, INVOICEFLOW_TRAINING_POLL_INTERVAL_S="0.1",
                   **extra)


async def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "streams.cli", *args], env=env, cwd=REPO,
                                   capture_output=True, text=True, timeout=180)


async def _blob_bytes(settings: Settings, name: str) -> bytes:
    assert settings.blob_key is not None
    credential = {"account_name": settings.blob_account, "account_key": settings.blob_key.get_secret_value()}
    async with ContainerClient(settings.blob_url, settings.blob_container, credential=credential) as container:
        return bytes(await (await container.download_blob(name)).readall())


async def _blob_names(settings: Settings, prefix: str) -> list[str]:
    assert settings.blob_key is not None
    credential = {"account_name": settings.blob_account, "account_key": settings.blob_key.get_secret_value()}
    async with ContainerClient(settings.blob_url, settings.blob_container, credential=credential) as container:
        return [b.name async for b in container.list_blobs(name_starts_with=prefix)]


def _policy(path: Path, tenant: str) -> Path:
    """The built-in policy where every text reading of `tenant` goes to the paid service (floor 0.99)."""
    text = (REPO / "config" / "default_policy.yaml").read_text()
    path.write_text(text.replace("tenants: {}", f"tenants:\n  {tenant}:\n    text_confidence_floor: 0.99"))
    return path


async def _registry_row(settings: Settings, model_id: str) -> Any:
    from streams.sinks.postgres import open_pool

    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
    try:
        return await ModelRegistry(pool).get(model_id)
    finally:
        await pool.close()


async def _scored_one(settings: Settings, tmp_path: Path, row: dict[str, Any], tenant: str) -> InvoiceScored:
    """Publish one document and wait for its scored event."""
    ev = received_for_file(tmp_path / str(row["file"]), tenant, settings)
    await produce(settings, f"{settings.topic_prefix}invoices.received",
                  [(ev.invoice_id.encode(), ev.model_dump_json().encode())])
    recs = await collect(settings, f"{settings.topic_prefix}invoices.scored",
                         lambda rs: any(r.key == ev.invoice_id.encode() for r in rs), timeout_s=90)
    return next(InvoiceScored.model_validate_json(r.value) for r in recs if r.key == ev.invoice_id.encode())


async def _review_all(settings: Settings, pool: Any, tenant: str, reviews: list[InvoiceReviewed]) -> None:
    """Publish the reviews (as an ERP hook would) once their invoices are recorded; wait until all are stored."""
    ids = [r.invoice_id for r in reviews]
    await _wait_count(pool, "SELECT count(*) FROM invoices WHERE tenant_id = $1 AND invoice_id = ANY($2)",
                      tenant, ids)
    await produce(settings, topic_name(settings, REVIEWED), [(r.invoice_id.encode(), encode(r)) for r in reviews])
    await _wait_count(pool, "SELECT count(*) FROM reviews WHERE tenant_id = $1 AND invoice_id = ANY($2) "
                      "AND document IS NOT NULL", tenant, ids)


async def _wait_count(pool: Any, sql: str, tenant: str, ids: list[str], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        async with pool.acquire() as conn:
            if await conn.fetchval(sql, tenant, ids) == len(ids):
                return
        assert time.monotonic() < deadline, f"timed out: {sql}"
        await asyncio.sleep(0.2)


async def test_train_from_stored_reviews_uploads_builds_registers_and_the_vendors_next_invoice_uses_the_model(
        blob: Settings, pool: Any, worker_factory: Any, tmp_path: Path, run_id: str) -> None:
    rows = generate_vendor_series(tmp_path, 10, seed=11, base_date=BASE_DATE)
    vendor, tenant = str(rows[0]["seller_vat_id"]), f"cm-{run_id}"
    async with fake_on_own_thread(FAKE) as fake:
        env = _env(blob, fake)
        await ensure_topics(blob)
        worker_factory("detect,extract,score,aggregate,review",
                       INVOICEFLOW_AZURE_ENDPOINTS=env["INVOICEFLOW_AZURE_ENDPOINTS"],
                       INVOICEFLOW_POLICY_FILE=str(_policy(tmp_path / "policy.yaml", tenant)),
                       INVOICEFLOW_CUSTOM_MODELS_REFRESH_S="1",
                       # this test is about the custom model: the layouts the same reviews teach are not reloaded
                       INVOICEFLOW_VENDOR_LAYOUTS_REFRESH_S="3600")
        try:
            read = [await _scored_one(blob, tmp_path, row, tenant) for row in rows[:8]]
            assert {s.extractor for s in read} == {"azure:prebuilt-invoice"}  # no model yet, read wrong
            await _review_all(blob, pool, tenant, [  # a reviewer sets every value the prebuilt model got wrong
                InvoiceReviewed(invoice_id=s.invoice_id, tenant_id=tenant, corrections=reviewer_corrections(row),
                                decision="approve", reviewer="ana", reviewed_at=datetime.now(UTC))
                for s, row in zip(read, rows[:8], strict=True)])

            done = await _cli(env, "train", "--tenant", tenant, "--vendor", vendor)  # from the stored reviews
            assert done.returncode == 0, done.stderr
            print(done.stdout, done.stderr)
            line = done.stdout.splitlines()[1].split()
            model_id = line[0]
            assert line[1:4] == [tenant, vendor, "active"]
            assert blob.blob_key is not None and blob.blob_key.get_secret_value() not in done.stdout + done.stderr
            assert "left out" not in done.stderr  # every reviewed document was loaded

            names = await _blob_names(blob, f"{model_id}/")
            documents = sorted(n for n in names if n.endswith(".pdf"))
            assert len(documents) == 6 and f"{model_id}/fields.json" in names  # 8 reviews: 6 trained, 2 held back
            assert all(f"{d}.labels.json" in names and f"{d}.ocr.json" in names for d in documents)
            trained = {(tmp_path / str(r["file"])).read_bytes() for r in rows[:8]}
            for name in documents:
                assert await _blob_bytes(blob, name) in trained  # the reviewed documents themselves
            assert {"InvoiceDate", "InvoiceId", "InvoiceTotal", "VendorTaxId"} <= set(fake.models[model_id].fields)
            row = await _registry_row(blob, model_id)
            assert (row.training_size, row.held_back) == (6, 2)
            assert row.accuracy is not None and row.prebuilt_accuracy is not None
            assert row.accuracy > row.prebuilt_accuracy  # why it is routed to

            nxt = rows[9]
            scored = await _scored_one(blob, tmp_path, nxt, tenant)  # the same worker: its routes reloaded
            assert scored.extractor == f"azure:{model_id}"
            assert scored.invoice is not None and scored.invoice.invoice_number == nxt["invoice_number"]
            assert scored.invoice.total_incl_vat == Decimal(str(nxt["total_incl_vat"])).quantize(Decimal("0.01"))
            assert [r.model_id for r in fake.accepted_analyses()][-1] == model_id
        finally:
            await PostgresRecords(pool).delete_tenant(tenant)
            async with pool.acquire() as conn:
                await conn.execute("DELETE FROM vendor_layouts WHERE tenant_id = $1", tenant)


async def test_too_few_documents_get_the_services_error_and_a_failed_row(blob: Settings, tmp_path: Path,
                                                                       run_id: str) -> None:
    rows = generate_vendor_series(tmp_path, 3, seed=12, base_date=BASE_DATE)
    write_examples_jsonl(tmp_path, rows)
    async with fake_on_own_thread(FAKE) as fake:
        done = await _cli(_env(blob, fake), "train", "--tenant", f"cm-{run_id}", "--examples", str(tmp_path))
    assert done.returncode == 1
    assert "training_rejected" in done.stderr and "TrainingContentMissing" in done.stderr
    assert "at least 5 labelled documents are needed, found 3" in done.stderr
    listed = await _cli(env_for(blob), "models", "list", "--tenant", f"cm-{run_id}")
    assert listed.returncode == 0 and " failed " in listed.stdout and fake.models == {}


async def test_the_fake_checks_the_upload_as_the_service_does(blob: Settings, tmp_path: Path) -> None:
    rows = generate_vendor_series(tmp_path, 5, seed=13, base_date=BASE_DATE)
    pdfs = {f"d{i}.pdf": (tmp_path / str(r["file"])).read_bytes() for i, r in enumerate(rows)}
    sidecars = {f"{n}.{kind}.json": b"{}" for n in pdfs for kind in ("labels", "ocr")}
    fields = {"fields.json": json.dumps({"fields": [{"fieldKey": "InvoiceId", "fieldType": "string"}]}).encode()}
    storage = TrainingStorage(blob)
    cases = {
        "no-fields": ({**pdfs, **sidecars}, "TrainingContentMissing", "no fields.json"),
        "no-labels": ({**pdfs, **sidecars, **fields, "extra.pdf": b"%PDF-1.7"}, "TrainingContentMissing",
                      "no .labels.json or .ocr.json for extra.pdf"),
    }
    async with fake_on_own_thread(FAKE) as fake:
        settings = _with_fake(blob, fake)
        async with DocumentService(settings) as service:
            for prefix, (files, code, words) in cases.items():
                await storage.upload(prefix, files)
                with pytest.raises(TrainingRejected) as refused:
                    await service.build(f"m-{prefix}", "template", storage.container_sas_url(), prefix, "test")
                assert refused.value.service_code == code and words in str(refused.value)
            unsigned = f"{blob.blob_url}/{blob.blob_container}"  # no SAS: the service cannot read the container
            with pytest.raises(TrainingRejected) as refused:
                await service.build("m-unsigned", "template", unsigned, "no-fields", "test")
            assert refused.value.service_code == "ContentSourceNotAccessible"
            await storage.upload("valid", {**pdfs, **sidecars, **fields})
            await service.build("m-valid", "template", storage.container_sas_url(), "valid", "test")
        assert sorted(fake.models) == ["m-valid"]


async def test_a_model_no_better_than_prebuilt_is_registered_but_not_routed_until_promoted(
        blob: Settings, tmp_path: Path, run_id: str) -> None:
    rows = generate_vendor_series(tmp_path, 7, seed=14, base_date=BASE_DATE)
    tenant = f"cm-{run_id}"
    truth = {str(r["sha256"]): FakeDocument(fields=invoice_fields(
        invoice_id=str(r["invoice_number"]), invoice_date=date.fromisoformat(str(r["issue_date"])),
        currency=str(r["currency"]), invoice_total=Decimal(str(r["total_incl_vat"])),
        vendor_tax_id=str(r["seller_vat_id"]))) for r in rows}
    async with fake_on_own_thread(FAKE) as fake:
        fake.truth_by_sha256.update(truth)  # prebuilt reads every document right: the custom model cannot beat it
        settings = _with_fake(blob, fake)
        report = await train(settings, MemoryExamples(labelled_example(tmp_path, r) for r in rows), tenant,
                             str(rows[0]["seller_vat_id"]), "neural")
    model = report.model
    assert (model.state, model.build_mode, model.held_back, model.prebuilt_accuracy) == ("ready", "neural", 1, 1.0)
    env = env_for(blob)
    promoted = await _cli(env, "models", "promote", model.model_id)
    assert promoted.returncode == 0 and " active " in promoted.stdout
    retired = await _cli(env, "models", "retire", model.model_id)
    assert retired.returncode == 0 and " retired " in retired.stdout
    assert (await _registry_row(blob, model.model_id)).state == "retired"
