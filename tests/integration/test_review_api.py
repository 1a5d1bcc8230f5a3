"""The review endpoints of `invoiceflow serve` on the real stack: the queue, saving a review (published to Kafka
and stored by a real review worker), field accuracy, and every token case."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from config.settings import Settings
from config.topics import REVIEWED
from schemas import AccuracyResponse, Decision, InvoiceReviewed, ReviewAccepted, ReviewQueue
from streams.admin import ensure_topics
from streams.codecs import decode
from streams.sinks.postgres import PostgresRecords
from streams.topics import topic_name
from tests.integration import test_service
from tests.integration.kafka_helpers import collect
from tests.records_helpers import scored

pytestmark = pytest.mark.integration

api = test_service.api  # the running app with a token per tenant and an admin token
Api = test_service.Api


async def _queue(api: Api, who: str, **params: str) -> Any:
    return await api.client.get("/api/v1/reviews", params=params, headers=api.auth(who))


async def test_the_queue_holds_the_tenant_s_invoices_in_review_that_nobody_reviewed(api: Api, pool: Any) -> None:
    a, b = api.tenants
    waiting = [scored(f"a{n}", a, decision=Decision.REVIEW) for n in range(2)]
    await PostgresRecords(pool).write_scored([*waiting, scored("a9", a), scored("b0", b, decision=Decision.REVIEW)])
    own = await _queue(api, "a")
    assert own.status_code == 200
    queue = ReviewQueue.model_validate(own.json())
    assert queue.tenant_id == a and [i.invoice_id for i in queue.items] == ["a0", "a1"]  # not the approved one
    first = queue.items[0]
    assert waiting[0].invoice is not None
    assert first.fields["invoice_number"] == waiting[0].invoice.invoice_number
    assert first.fields["seller.name"] == waiting[0].invoice.seller.name and first.fields["order_reference"] is None
    assert [r.code for r in first.reasons] == ["new_vendor"] and first.score == waiting[0].score
    assert list(queue.fields)[:3] == ["invoice_number", "type_code", "issue_date"]
    assert (await api.client.get("/api/v1/reviews")).status_code == 401
    assert (await _queue(api, "a", tenant=b)).status_code == 403
    assert (await _queue(api, "admin")).status_code == 400  # an admin names the tenant
    theirs = ReviewQueue.model_validate((await _queue(api, "admin", tenant=b)).json())
    assert [i.invoice_id for i in theirs.items] == ["b0"]


async def _wait_gone(api: Api, invoice_id: str, timeout_s: float = 90) -> ReviewQueue:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        queue = ReviewQueue.model_validate((await _queue(api, "a")).json())
        if invoice_id not in {i.invoice_id for i in queue.items}:
            return queue
        await asyncio.sleep(0.3)
    raise AssertionError(f"{invoice_id} still waits for review")


async def test_a_saved_review_is_published_stored_by_the_stage_leaves_the_queue_and_counts_in_accuracy(
        api: Api, pool: Any, settings: Settings, worker_factory: Any) -> None:
    a, b = api.tenants
    ev = scored("a0", a, decision=Decision.REVIEW)
    await PostgresRecords(pool).write_scored([ev, scored("a1", a, decision=Decision.REVIEW),
                                              scored("b0", b, decision=Decision.REVIEW)])
    await ensure_topics(settings)
    body = {"corrections": {"invoice_number": "REAL-7", "currency": ev.invoice.currency if ev.invoice else None},
            "decision": "reject", "reviewer": "ana"}
    saved = await api.client.post("/api/v1/invoices/a0/review", json=body, headers=api.auth("a"))
    assert saved.status_code == 202, saved.text
    accepted = ReviewAccepted.model_validate(saved.json())
    assert accepted.tenant_id == a and accepted.topic == topic_name(settings, REVIEWED)
    records = await collect(settings, accepted.topic, lambda got: len(got) >= 1, 30)
    sent = decode(InvoiceReviewed, records[0].value)
    assert (sent.event_id, sent.invoice_id, sent.tenant_id, sent.reviewer) == (accepted.event_id, "a0", a, "ana")
    assert sent.corrections.invoice_number == "REAL-7" and sent.decision.value == "reject"
    assert records[0].key == b"a0"

    worker_factory("review")
    queue = await _wait_gone(api, "a0")
    assert [i.invoice_id for i in queue.items] == ["a1"]
    found = AccuracyResponse.model_validate((await api.client.get("/api/v1/accuracy", headers=api.auth("a"))).json())
    assert found.tenant_id == a and len(found.groups) == 1
    group = found.groups[0]
    assert (group.extractor, group.vendor, group.reviews) == (ev.extractor, "vat:DE136695976", 1)
    assert group.fields["invoice_number"].right == 0 and group.fields["currency"].right == 1  # set, unchanged
    assert group.total.checked - group.total.right == 1 and found.extractors[ev.extractor] == group.total
    assert (await api.client.get("/api/v1/accuracy", params={"tenant": b}, headers=api.auth("a"))).status_code == 403
    everyone = AccuracyResponse.model_validate(
        (await api.client.get("/api/v1/accuracy", headers=api.auth("admin"))).json())
    assert everyone.tenant_id is None and {g.tenant_id for g in everyone.groups} >= {a}


async def test_a_review_is_refused_for_bad_fields_other_tenants_and_unknown_invoices(api: Api, pool: Any) -> None:
    a, b = api.tenants
    await PostgresRecords(pool).write_scored([scored("a0", a, decision=Decision.REVIEW),
                                              scored("b0", b, decision=Decision.REVIEW)])
    post = api.client.post
    bad = await post("/api/v1/invoices/a0/review", json={"corrections": {"colour": "red"}, "decision": "approve"},
                     headers=api.auth("a"))
    assert bad.status_code == 422 and "unknown field 'colour'" in bad.text
    typed = await post("/api/v1/invoices/a0/review", json={"corrections": {"issue_date": "soon"},
                                                           "decision": "approve"}, headers=api.auth("a"))
    assert typed.status_code == 422 and "issue_date" in typed.text
    verdict = await post("/api/v1/invoices/a0/review", json={"decision": "maybe"}, headers=api.auth("a"))
    assert verdict.status_code == 422
    ok = {"decision": "approve"}
    assert (await post("/api/v1/invoices/a0/review", json=ok)).status_code == 401
    assert (await post("/api/v1/invoices/b0/review", json=ok, headers=api.auth("a"))).status_code == 404
    assert (await post("/api/v1/invoices/a0/review", json={**ok, "tenant": b},
                       headers=api.auth("a"))).status_code == 403
    assert (await post("/api/v1/invoices/a0/review", json=ok, headers=api.auth("admin"))).status_code == 400
    assert (await post("/api/v1/invoices/nope/review", json={**ok, "tenant": a},
                       headers=api.auth("admin"))).status_code == 404
