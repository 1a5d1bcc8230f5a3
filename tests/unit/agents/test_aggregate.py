"""The aggregate stage's pure parts: counter increments and the vendor facts approvals teach."""

from __future__ import annotations

from agents.aggregate import aggregate, vendors_learned
from schemas import Decision
from streams.sinks.fakes import FakeRecordStore
from tests.records_helpers import scored


def test_counter_increments_are_keyed_by_event_id() -> None:
    ev = scored("a", "t")
    delta = aggregate(ev)
    assert delta.event_id == ev.event_id and delta.tenant_id == "t"
    assert ("scored", 1) in delta.fields and ("decision:auto_approve", 1) in delta.fields


def test_only_approvals_teach_a_vendor_and_each_fact_names_its_event() -> None:
    ok, held = scored("a", "t"), scored("b", "t", decision=Decision.REVIEW)
    facts = vendors_learned([ok, held])
    assert [(f.seller_key, f.event_id, f.name, f.vat_id, f.iban) for f in facts] == [
        ("vat:DE136695976", ok.event_id, "Lieferant GmbH", "DE136695976", "DE89370400440532013000")]


async def test_fake_store_learns_a_vendor_only_from_an_event_that_became_the_row() -> None:
    store = FakeRecordStore()
    newer, older = scored("a", "t", version=2, decision=Decision.REVIEW), scored("a", "t", version=1)
    assert await store.write_scored([newer]) == 1
    assert await store.write_scored([older], vendors_learned([older])) == 0
    assert store.vendors == {}
    assert await store.write_scored([newer]) == 0
