"""The in-memory twins follow the real stores' rules (once per tenant and event id, once per origin)."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.sinks import CounterDelta, DeadLetterFact
from streams.sinks.fakes import FakeCounterStore, FakeDeadLetterStore

AT = datetime(2026, 12, 3, tzinfo=UTC)


def _letter(offset: int, tenant: str | None = "t") -> DeadLetterFact:
    return DeadLetterFact("detect", "document_missing", "p.invoices.received", 0, offset, AT, tenant, "INV-1")


async def test_dead_letters_count_once_per_origin_and_without_a_tenant_under_the_placeholder() -> None:
    store = FakeCounterStore()
    assert await store.count_dead_letters([_letter(1), _letter(1), _letter(2, None)]) == 2
    assert await store.count_dead_letters([_letter(1)]) == 0
    assert (await store.read()) == {
        "t": {"dead_letters": 1, "dlq:detect:document_missing": 1},
        "_unknown": {"dead_letters": 1, "dlq:detect:document_missing": 1},
    }
    await store.apply([CounterDelta("e", "t", 0, (("scored", 1),))] * 2)
    assert (await store.read("t"))["t"]["scored"] == 1


async def test_the_dead_letter_record_keeps_the_first_row_per_origin() -> None:
    store = FakeDeadLetterStore()
    assert await store.write_dead_letters([_letter(1), _letter(1, "other")]) == 1
    assert store.rows[("p.invoices.received", 0, 1)].tenant_id == "t"
