"""Reviews on the real stack: the review stage in a worker process, `invoiceflow review`, `metrics --accuracy`
and `policy suggest` as a user runs them, against Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agents.review import review
from config.settings import Settings
from config.topics import REVIEWED, dead_letter_topic
from schemas import Decision, InvoiceReviewed
from streams.admin import ensure_topics
from streams.codecs import encode
from streams.deadletters import EXCEPTION_MESSAGE
from streams.headers import ERROR_HEADER
from streams.sinks import HistoryQuery, LabelledExample, RecordedExtraction
from streams.sinks.postgres import PostgresRecords
from streams.sinks.reviews import PostgresReviews
from streams.topics import topic_name
from tests.integration.conftest import env_for
from tests.integration.kafka_helpers import collect, produce
from tests.records_helpers import scored
from tests.review_helpers import expected_threshold, outcomes

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _cli(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env=env_for(settings, **env))


async def _row(pool: Any, tenant: str, invoice_id: str) -> Any:
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT xmin::text AS version, * FROM reviews WHERE tenant_id = $1 AND "
                                   "invoice_id = $2", tenant, invoice_id)


async def _wait_row(pool: Any, tenant: str, invoice_id: str, timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = await _row(pool, tenant, invoice_id)
        if row is not None:
            return row
        await asyncio.sleep(0.2)
    raise AssertionError(f"no review stored for {invoice_id}")


async def test_reviews_are_stored_once_tied_to_their_extraction_and_bad_ones_are_dead_lettered(
        settings: Settings, pool: Any, run_id: str, worker_factory: Any) -> None:
    tenant = f"rev-{run_id}"
    a, b = scored(f"{run_id}-a", tenant, decision=Decision.REVIEW), scored(f"{run_id}-b", tenant,
                                                                           decision=Decision.REVIEW)
    await PostgresRecords(pool).write_scored([a, b])
    assert a.invoice is not None and a.invoice.amount_due is not None
    await ensure_topics(settings)
    worker_factory("review")

    done = _cli(settings, "review", a.invoice_id, "--tenant", tenant, "--set", "invoice_number=REAL-1",
                "--set", f"amount_due={a.invoice.amount_due}", "--decision", "approve", "--reviewer", "ana")
    assert done.returncode == 0, done.stderr
    row = await _wait_row(pool, tenant, a.invoice_id)
    assert row["event_id"] in done.stdout and "1 correction" not in done.stdout  # two were sent
    assert (row["extraction_event_id"], row["document_sha256"], row["extractor"]) == (
        a.event_id, a.document_sha256, a.extractor)
    right = json.loads(row["fields_right"])
    assert right["invoice_number"] is False and right["amount_due"] is True and right["seller.name"] is True
    assert row["decision"] == "approve" and row["reviewer"] == "ana" and row["seller_key"] == "vat:DE136695976"
    assert row["reason_codes"] == ["new_vendor"] and row["score"] == a.score and row["scored_decision"] == "review"

    topic = topic_name(settings, REVIEWED)
    again = InvoiceReviewed(invoice_id=a.invoice_id, tenant_id=tenant, decision="approve", reviewer="ana",
                            reviewed_at=datetime.now(UTC) + timedelta(hours=1),
                            corrections={"invoice_number": "REAL-1", "amount_due": str(a.invoice.amount_due)})
    assert again.event_id == row["event_id"]  # the same review, sent later: the same event
    unknown = InvoiceReviewed(invoice_id=f"{run_id}-nope", tenant_id=tenant, decision="reject", reviewer="ana",
                              reviewed_at=datetime.now(UTC))
    bad = encode(unknown).replace(b'"corrections":{}', b'"corrections":{"colour":"red"}')
    sentinel = InvoiceReviewed(invoice_id=b.invoice_id, tenant_id=tenant, decision="reject", reviewer="bo",
                               reviewed_at=datetime.now(UTC))
    await produce(settings, topic, [(k.encode(), v) for k, v in (
        (again.invoice_id, encode(again)), (unknown.invoice_id, encode(unknown)), (unknown.invoice_id, bad),
        (sentinel.invoice_id, encode(sentinel)))])
    await _wait_row(pool, tenant, b.invoice_id)  # the worker went on past the bad ones
    assert (await _row(pool, tenant, a.invoice_id))["version"] == row["version"]  # resent: the row untouched

    letters = await collect(settings, topic_name(settings, dead_letter_topic("review")), lambda got: len(got) >= 2,
                            60)
    codes = sorted(dict(r.headers)[ERROR_HEADER].decode() for r in letters)
    assert codes == ["schema_error", "unknown_invoice"]
    why = next(dict(r.headers) for r in letters if dict(r.headers)[ERROR_HEADER] == b"schema_error")
    assert b"unknown field 'colour'" in why[EXCEPTION_MESSAGE]
    async with pool.acquire() as conn:
        recorded = await conn.fetch("SELECT reason FROM dead_letters WHERE tenant_id = $1 AND stage = 'review'",
                                    tenant)
    assert sorted(r["reason"] for r in recorded) == ["schema_error", "unknown_invoice"]


def test_a_review_with_a_bad_field_is_refused_before_anything_is_sent(settings: Settings) -> None:
    done = _cli(settings, "review", "x", "--tenant", "t", "--set", "colour=red", "--decision", "approve")
    assert done.returncode == 1
    assert "unknown field 'colour'; correctable fields: invoice_number" in done.stderr and not done.stdout


def _examples(tenant: str, made: list[tuple[float, str, dict[str, bool]]], held: bool = False,
              first: int = 0) -> list[LabelledExample]:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    codes = ("new_vendor",) if held else ()
    return [LabelledExample(tenant, f"inv-{i}", f"ev-{i}", "0" * 64, f"sc-{i}", "text", "vat:DE1", "review", score,
                            {}, {}, fields, decision, "synthetic", at, codes)
            for i, (score, decision, fields) in enumerate(made, start=first)]


async def test_policy_suggest_prints_the_known_best_threshold_and_leaves_the_policy_file_alone(
        settings: Settings, pool: Any, run_id: str, tmp_path: Path) -> None:
    tenant, thin = f"cal-{run_id}", f"thin-{run_id}"
    store = PostgresReviews(pool)
    await store.write_examples(_examples(tenant, outcomes(7, 1)))
    rejected_but_held = [(0.99, "reject", {})] * 50  # a rule held these at review: no threshold approves them
    await store.write_examples(_examples(tenant, rejected_but_held, held=True, first=5000))
    await PostgresRecords(pool).write_scored([scored(f"{run_id}-{n}", tenant) for n in range(3)]
                                             + [scored(f"{run_id}-3", tenant, decision=Decision.REVIEW)])
    await store.write_examples(_examples(thin, outcomes(8, 1)[:120]))
    policy = tmp_path / "policy.yaml"
    policy.write_text((REPO / "config" / "default_policy.yaml").read_text())
    before = policy.read_bytes()
    try:
        done = _cli(settings, "policy", "suggest", "--tenant", tenant, INVOICEFLOW_POLICY_FILE=str(policy))
        assert done.returncode == 0, done.stderr
        print(done.stdout)
        best = expected_threshold(0.005, 1)
        assert f"suggested auto_approve_threshold {best:g} (in force: 0.85)" in done.stdout
        assert "wrong auto-approvals: 2 of 401 (0.50%; target 0.50%" in done.stdout
        assert ("expected touchless rate: 40.1% of the reviewed invoices; 75.0% of the tenant's 4 scored invoice(s) "
                "(threshold in force: 75.0%)") in done.stdout  # 3 approved at 0.95, one held by new_vendor
        assert ("evidence: 1000 reviewed invoice(s) (50 more left out: a rule held them at review whatever their "
                "score)") in done.stdout
        assert f"tenants:\n  {tenant}:\n    auto_approve_threshold: {best:g}\n" in done.stdout
        looser = _cli(settings, "policy", "suggest", "--tenant", tenant, "--target", "0.01",
                      INVOICEFLOW_POLICY_FILE=str(policy))
        assert f"suggested auto_approve_threshold {expected_threshold(0.01, 1):g} " in looser.stdout
        refused = _cli(settings, "policy", "suggest", "--tenant", thin, INVOICEFLOW_POLICY_FILE=str(policy))
        assert refused.returncode == 1 and not refused.stdout
        assert "thin_evidence: too little evidence: 120 reviewed invoice(s); at least 200" in refused.stderr
        assert policy.read_bytes() == before
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM reviews WHERE tenant_id = ANY($1::text[])", [tenant, thin])
        await PostgresRecords(pool).delete_tenant(tenant)


async def test_field_accuracy_per_extractor_and_vendor_from_stored_reviews(settings: Settings, pool: Any,
                                                                           run_id: str) -> None:
    tenant = f"acc-{run_id}"
    seller_a, seller_b = scored(f"{run_id}-1", tenant), scored(f"{run_id}-2", tenant, vat_id="FR40303265045")
    third = scored(f"{run_id}-3", tenant)
    reviews = [(seller_a, {"invoice_number": "X"}), (seller_b, {}), (third, {"currency": "USD"})]
    examples = []
    for ev, corrections in reviews:
        assert ev.invoice is not None
        recorded = RecordedExtraction(tenant, ev.invoice_id, ev.event_id, ev.extractor, ev.document_sha256,
                                      ev.decision.value, ev.score, ev.invoice.model_dump_json())
        examples.append(review(InvoiceReviewed(invoice_id=ev.invoice_id, tenant_id=tenant, decision="approve",
                                               reviewer="r", reviewed_at=datetime.now(UTC), corrections=corrections),
                               recorded))
    await PostgresReviews(pool).write_examples(examples)
    checked = {e.invoice_id: len(e.fields_right) for e in examples}
    try:
        as_json = _cli(settings, "metrics", "--accuracy", "--tenant", tenant, "--json")
        assert as_json.returncode == 0, as_json.stderr
        found = json.loads(as_json.stdout)
        by_vendor = {g["vendor"]: g for g in found["groups"]}
        assert set(by_vendor) == {"vat:DE136695976", "vat:FR40303265045"}
        de = by_vendor["vat:DE136695976"]
        assert de["reviews"] == 2 and de["total"]["checked"] == checked[seller_a.invoice_id] + checked[
            third.invoice_id] and de["total"]["right"] == de["total"]["checked"] - 2
        assert de["fields"]["invoice_number"] == {"checked": 2, "right": 1, "accuracy": 0.5}
        assert by_vendor["vat:FR40303265045"]["total"]["accuracy"] == 1.0
        table = _cli(settings, "metrics", "--accuracy", "--tenant", tenant)
        print(table.stdout)
        assert "worst: currency 50.0% (1/2), invoice_number 50.0% (1/2)" in table.stdout
        assert "over 3 review(s)" in table.stdout
    finally:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM reviews WHERE tenant_id = $1", tenant)


async def _vendor(pool: Any, tenant: str, seller_key: str) -> Any:
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM vendors WHERE tenant_id = $1 AND seller_key = $2", tenant,
                                   seller_key)


async def test_an_approving_review_teaches_the_vendors_table_and_the_history_once(
        settings: Settings, pool: Any, stores: Any, run_id: str, worker_factory: Any) -> None:
    tenant, vat, iban = f"rv-{run_id}", "FR40303265045", "FR7630006000011234567890189"
    held = scored(f"{run_id}-a", tenant, decision=Decision.REVIEW, vat_id="DE111111111")  # a seller held as new
    rejected = scored(f"{run_id}-b", tenant, decision=Decision.REVIEW, vat_id="DE222222222")
    await PostgresRecords(pool).write_scored([held, rejected])
    key = HistoryQuery(tenant, "next", (), f"vat:{vat}")
    assert await _vendor(pool, tenant, f"vat:{vat}") is None
    assert (await stores.lookup([key]))[0].vendor_known is False
    await ensure_topics(settings)
    worker_factory("review")
    try:
        done = _cli(settings, "review", held.invoice_id, "--tenant", tenant, "--set", f"seller.vat_id={vat}",
                    "--set", f"seller_iban={iban}", "--decision", "approve", "--reviewer", "ana")
        assert done.returncode == 0, done.stderr
        no = _cli(settings, "review", rejected.invoice_id, "--tenant", tenant, "--decision", "reject")
        assert no.returncode == 0, no.stderr
        first = await _wait_row(pool, tenant, held.invoice_id)
        await _wait_row(pool, tenant, rejected.invoice_id)
        learned = await _vendor(pool, tenant, f"vat:{vat}")  # the seller as the reviewer corrected it
        assert learned is not None and (learned["vat_id"], learned["iban"], learned["invoice_count"]) == (
            vat, iban, 1)
        assert learned["name"] == held.invoice.seller.name  # type: ignore[union-attr]  # left alone: as read
        assert learned["last_approved_at"] == first["reviewed_at"]
        assert await _vendor(pool, tenant, "vat:DE222222222") is None  # a rejection teaches nothing
        assert await _vendor(pool, tenant, "vat:DE111111111") is None  # the misread seller is not learned
        facts = (await stores.lookup([key]))[0]
        assert facts.vendor_known is True and facts.vendor_iban == iban  # the score stage now knows it

        again = _cli(settings, "review", held.invoice_id, "--tenant", tenant, "--set", f"seller.vat_id={vat}",
                     "--set", f"seller_iban={iban}", "--set", "invoice_number=N-2", "--decision", "approve",
                     "--reviewer", "ana")  # approved again, later, with one more correction
        assert again.returncode == 0, again.stderr
        deadline = time.monotonic() + 60
        while (await _row(pool, tenant, held.invoice_id))["event_id"] == first["event_id"]:
            assert time.monotonic() < deadline, "the later review was not stored"
            await asyncio.sleep(0.2)
        relearned = await _vendor(pool, tenant, f"vat:{vat}")
        assert relearned["invoice_count"] == 1  # still one invoice of that seller
        assert relearned["last_approved_at"] > learned["last_approved_at"]
    finally:
        await PostgresRecords(pool).delete_tenant(tenant)
