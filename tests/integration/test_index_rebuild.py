"""`invoiceflow index rebuild`: after Redis lost the dedupe index, the PostgreSQL records bring it back.

Each test records invoices for its own tenant, then asks the real Redis (in the test's own, empty namespace,
as after a Redis restart) before and after the rebuild: a resend must be caught again, the document's first
owner known again, and the vendor known with the IBAN it was approved for. Two tenants that recorded the
same invoice id each get their own claims back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from agents.aggregate import vendors_learned
from agents.rules.history import business_keys, seller_identity
from config.settings import Settings
from schemas import InvoiceScored
from streams.cli.actions import rebuild_index
from streams.sinks import HistoryQuery
from streams.sinks.postgres import PostgresRecords
from streams.sinks.redis import RedisStores
from tests.records_helpers import scored

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="function")
async def tenant(pool: Any, run_id: str) -> AsyncIterator[str]:
    name = f"reindex-{run_id}"
    yield name
    await PostgresRecords(pool).delete_tenant(name)


def _resend_query(original: InvoiceScored, invoice_id: str) -> HistoryQuery:
    assert original.invoice is not None
    return HistoryQuery(original.tenant_id, invoice_id, business_keys(original.invoice),
                        seller_identity(original.invoice))


def _later_copy(first: InvoiceScored, invoice_id: str, minutes: int) -> InvoiceScored:
    """The same invoice (same fields, same document) recorded later under another invoice id."""
    return first.model_copy(update={"invoice_id": invoice_id, "event_id": f"score-{invoice_id}",
                                    "received_at": first.received_at + timedelta(minutes=minutes)})


async def test_a_lost_index_is_rebuilt_from_the_records(
    pool: Any, stores: RedisStores, tenant: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    first = scored(f"{tenant}-a", tenant, vat_id="DE136695976", iban="DE89370400440532013000")
    other = scored(f"{tenant}-b", tenant, vat_id="FR40303265045", iban="FR1420041010050500013M02606")
    events = [first, other, _later_copy(first, f"{tenant}-a-resent", minutes=5)]
    await PostgresRecords(pool).write_scored(events, vendors_learned(events))
    resend = _resend_query(first, f"{tenant}-new")

    assert not [k async for k in stores.client.scan_iter(match=f"{stores.prefix}*")]  # empty, as after a loss

    assert await rebuild_index(settings, tenant) == 0
    assert "index rebuilt from 3 recorded invoices" in capsys.readouterr().out

    after = (await stores.lookup([resend]))[0]
    assert after.duplicate_of == first.invoice_id  # the oldest record owns the keys, not the later copy
    assert after.vendor_known and after.vendor_iban == "DE89370400440532013000"
    owners = await stores.claim([(tenant, first.document_sha256, f"{tenant}-new")])
    assert owners == [first.invoice_id]
    assert (await stores.lookup([_resend_query(other, f"{tenant}-b2")]))[0].duplicate_of == other.invoice_id


async def test_a_rebuild_takes_no_claim_from_its_current_owner(
    pool: Any, stores: RedisStores, tenant: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    first = scored(f"{tenant}-a", tenant)
    await PostgresRecords(pool).write_scored([first], vendors_learned([first]))
    assert first.invoice is not None
    live = f"{tenant}-scored-since"  # claimed in Redis after the loss, before the rebuild ran
    await stores.lookup([HistoryQuery(tenant, live, business_keys(first.invoice), None)])

    await rebuild_index(settings, tenant)
    await rebuild_index(settings, tenant)  # idempotent: the second run restores nothing new
    out = capsys.readouterr().out.splitlines()
    assert "0 claims restored" in out[-1]

    again = (await stores.lookup([_resend_query(first, f"{tenant}-new")]))[0]
    assert again.duplicate_of == live


async def test_two_tenants_that_recorded_the_same_invoice_id_both_get_their_claims_back(
    pool: Any, stores: RedisStores, tenant: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    other_tenant = f"{tenant}-other"
    mine = scored("INV-1", tenant, vat_id="DE136695976", iban="DE89370400440532013000")
    theirs = scored("INV-1", other_tenant, vat_id="FR40303265045", iban="FR1420041010050500013M02606")
    assert mine.event_id == theirs.event_id  # event ids do not name the tenant
    try:
        await PostgresRecords(pool).write_scored([mine, theirs], vendors_learned([mine, theirs]))
        for owner in (tenant, other_tenant):
            assert await rebuild_index(settings, owner) == 0
            assert "index rebuilt from 1 recorded invoices" in capsys.readouterr().out
        for ev in (mine, theirs):
            again = (await stores.lookup([_resend_query(ev, "INV-2")]))[0]
            assert again.duplicate_of == "INV-1"
            assert again.vendor_known and again.vendor_iban == (ev.invoice.seller_iban if ev.invoice else None)
            assert await stores.claim([(ev.tenant_id, ev.document_sha256, "INV-2")]) == ["INV-1"]
    finally:
        await PostgresRecords(pool).delete_tenant(other_tenant)
