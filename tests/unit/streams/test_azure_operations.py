"""Never pay twice: the resume decision, the compacted result, and the in-memory store's accounting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from streams.azure import MemoryOperationStore, ResumeAction, StoredOperation, compact_result, resume_action

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _op(age: timedelta, endpoint: str = "a", result: dict[str, object] | None = None) -> StoredOperation:
    return StoredOperation("t", "0" * 64, "prebuilt-invoice", endpoint, "http://a/op/1", NOW - age, result)


def test_nothing_stored_submits() -> None:
    assert resume_action(None, NOW, {"a"}) is ResumeAction.SUBMIT


def test_stored_result_is_reused_whatever_its_age() -> None:
    assert resume_action(_op(timedelta(days=30), result={"pages": []}), NOW, {"a"}) is ResumeAction.REUSE


def test_live_operation_is_resumed_on_its_endpoint() -> None:
    assert resume_action(_op(timedelta(hours=23)), NOW, {"a"}) is ResumeAction.RESUME
    assert resume_action(_op(timedelta(hours=1), endpoint="gone"), NOW, {"a"}) is ResumeAction.SUBMIT


def test_operation_past_retention_is_submitted_again() -> None:
    assert resume_action(_op(timedelta(hours=24)), NOW, {"a"}) is ResumeAction.SUBMIT
    short = timedelta(minutes=5)
    assert resume_action(_op(timedelta(minutes=6)), NOW, {"a"}, ttl=short) is ResumeAction.SUBMIT


def test_compact_result_keeps_documents_and_page_sizes_not_text() -> None:
    full = {
        "apiVersion": "2024-11-30",
        "modelId": "prebuilt-invoice",
        "content": "secret text",
        "pages": [{"pageNumber": 1, "width": 8.5, "height": 11, "unit": "inch", "words": [{"content": "x"}]}],
        "documents": [{"docType": "invoice", "fields": {}}],
        "paragraphs": [{"content": "secret text"}],
    }
    small = compact_result(full)
    assert small == {
        "apiVersion": "2024-11-30",
        "modelId": "prebuilt-invoice",
        "documents": [{"docType": "invoice", "fields": {}}],
        "pages": [{"pageNumber": 1, "width": 8.5, "height": 11, "unit": "inch"}],
    }


async def test_memory_store_round_trip_and_daily_spend() -> None:
    store = MemoryOperationStore()
    assert await store.get("t", "a" * 64, "m") is None
    await store.put_submitted("t", "a" * 64, "m", "ep", "http://op/1", NOW)
    row = await store.get("t", "a" * 64, "m")
    assert row is not None and row.operation_location == "http://op/1" and row.result is None
    await store.put_result("t", "a" * 64, "m", {"pages": [{}]}, 3, Decimal("0.03"), NOW)
    await store.put_submitted("t", "b" * 64, "m", "ep", "http://op/2", NOW)
    await store.put_result("t", "b" * 64, "m", {"pages": [{}]}, 2, Decimal("0.02"), NOW + timedelta(days=1))
    await store.put_submitted("u", "c" * 64, "m", "ep", "http://op/3", NOW)
    await store.put_result("u", "c" * 64, "m", {"pages": [{}]}, 7, Decimal("0.07"), NOW)
    billed = await store.billed_on("t", date(2024, 5, 1))
    assert (billed.pages, billed.usd) == (3, Decimal("0.03"))
    done = await store.get("t", "a" * 64, "m")
    assert done is not None and done.result == {"pages": [{}]} and done.pages == 3
