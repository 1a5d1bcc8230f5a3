"""The pure half of the record store: which events become rows, and the arrays the statement unnests."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
import pytest
from pydantic import BaseModel, create_model

from schemas import Decision, InvoiceData, InvoiceScored, LineItem
from streams.errors import RecordRefused, SinkError
from streams.sinks import VendorFact
from streams.sinks._json_fields import ContractPathError
from streams.sinks._record_rows import (
    TRACE_ID_KEY,
    VENDOR_COLUMNS,
    latest_per_invoice,
    older_events,
    record_batch,
    vendor_master_columns,
)
from streams.sinks._record_sql import RECORD_BATCH, RECORD_PARAMETERS, VENDOR_MASTER, record_batch_statement
from streams.sinks.postgres import PostgresRecords
from tests.records_helpers import scored
from tools.bench.sinks import rows_of


def test_latest_per_invoice_keeps_the_newest_event_of_each_invoice_in_first_seen_order() -> None:
    a1, a3, a2 = scored("a", "t", version=1), scored("a", "t", version=3), scored("a", "t", version=2)
    b1 = scored("b", "t", version=1)
    assert latest_per_invoice([a1, b1, a3, a2, a1]) == [a3, b1]


def test_latest_per_invoice_breaks_a_scored_at_tie_by_event_id() -> None:
    x = scored("a", "t", version=1)
    y = x.model_copy(update={"event_id": x.event_id + "z"})
    assert latest_per_invoice([y, x]) == [y]
    assert latest_per_invoice([x, y]) == [y]


def test_older_events_lists_every_other_decision_once() -> None:
    a1, a2, b1 = scored("a", "t", version=1), scored("a", "t", version=2), scored("b", "t")
    events = [a1, a2, b1, a1, b1]
    assert older_events(events, latest_per_invoice(events)) == [a1]


def test_record_batch_sends_the_newest_event_per_invoice_and_the_older_ones_apart() -> None:
    a1, a2, b = scored("a", "t", version=1, lines=5), scored("a", "t", version=2, lines=2), scored("b", "t")
    batch = record_batch([a1, a2, b, b, a1])
    assert batch.tenant_ids == ["t", "t"]
    assert batch.invoice_ids == ["a", "b"]
    assert [orjson.loads(j)["event_id"] for j in batch.latest] == [a2.event_id, b.event_id]
    assert [orjson.loads(j)["event_id"] for j in batch.older] == [a1.event_id]
    assert len(orjson.loads(batch.latest[0])["invoice"]["lines"]) == 2
    assert len(batch.arguments()) == RECORD_PARAMETERS


def test_a_trace_id_travels_in_the_event_json_of_its_tenant_s_event_only() -> None:
    a, b = scored("a", "t"), scored("a", "u")  # equal event ids, two tenants
    batch = record_batch([a, b], trace_ids={("t", a.event_id): "ab" * 16})
    assert [orjson.loads(j).get("trace_id") for j in batch.latest] == ["ab" * 16, None]
    assert type(a).model_validate_json(batch.latest[1]) == b


def test_the_event_json_round_trips_to_the_same_event() -> None:
    ev = scored("a", "t", decision=Decision.REVIEW)
    assert type(ev).model_validate_json(record_batch([ev]).latest[0]) == ev


def test_vendor_facts_are_kept_only_for_the_events_that_can_become_rows() -> None:
    a1, a2 = scored("a", "t", version=1), scored("a", "t", version=2)
    facts = [VendorFact("t", "vat:X", "IBAN1", event_id=a1.event_id),
             VendorFact("t", "vat:X", "IBAN2", event_id=a2.event_id),
             VendorFact("t", "vat:X", "IBAN2", event_id=a2.event_id),
             VendorFact("t", "vat:Y", None)]  # an import fact names no event: not this statement's business
    cols = dict(zip(VENDOR_COLUMNS, record_batch([a1, a2], facts).vendors, strict=True))
    assert cols["event_id"] == [a2.event_id]
    assert cols["iban"] == ["IBAN2"]
    assert record_batch([a1]).vendors == [[] for _ in VENDOR_COLUMNS]


def test_vendor_master_columns_keep_the_last_fact_per_identity() -> None:
    facts = [VendorFact("t", "vat:X", "A", name="Old"), VendorFact("t", "vat:X", "B", name="New"),
             VendorFact("t", "name:y", None, name="Y")]
    assert vendor_master_columns(facts) == [["t", "t"], ["vat:X", "name:y"], ["New", "Y"], [None, None], ["B", None]]


def test_the_naive_writer_has_one_insert_per_row() -> None:
    rows = rows_of([scored("a", "t", lines=3), scored("b", "t", lines=0).model_copy(update={"invoice": None})])
    tables = [sql.split()[2] for sql, _ in rows]
    assert tables == ["invoices", "invoice_extractions", "decisions", "invoice_lines", "invoice_lines",
                      "invoice_lines", "invoices", "invoice_extractions", "decisions"]
    assert [values[1] for sql, values in rows if "invoice_lines" in sql] == [1, 2, 3]


def _twins(invoice_id: str, **kwargs: Any) -> tuple[InvoiceScored, InvoiceScored]:
    """The same invoice id sent by two tenants, with equal event ids (event ids do not name the tenant)."""
    a, b = scored(invoice_id, "ta", **kwargs), scored(invoice_id, "tb", **kwargs)
    assert a.event_id == b.event_id and a.tenant_id != b.tenant_id
    return a, b


def test_latest_per_invoice_keeps_each_tenant_s_invoice_apart() -> None:
    a1, b1 = _twins("x", version=1)
    a2, b2 = _twins("x", version=2)
    assert latest_per_invoice([a1, b1]) == [a1, b1]
    assert latest_per_invoice([b2, a1, b1, a2]) == [b2, a2]
    assert latest_per_invoice([a2, b1]) == [a2, b1]  # tenant b's older version is still tenant b's newest


def test_older_events_lists_each_tenant_s_decisions_once() -> None:
    a1, b1 = _twins("x", version=1)
    a2, b2 = _twins("x", version=2)
    events = [a1, b1, a2, b2, a1, b1]
    assert older_events(events, latest_per_invoice(events)) == [a1, b1]
    assert older_events([a1, b1, b1], latest_per_invoice([a1, b1, b1])) == []


def test_record_batch_sends_each_tenant_s_invoice_with_its_tenant() -> None:
    a, b = _twins("x")
    c = scored("y", "tb")
    batch = record_batch([a, b, c, b])
    assert list(zip(batch.tenant_ids, batch.invoice_ids, strict=True)) == [("ta", "x"), ("tb", "x"), ("tb", "y")]
    assert [orjson.loads(j)["tenant_id"] for j in batch.latest] == ["ta", "tb", "tb"]
    assert batch.older == []


def test_vendor_facts_are_tied_to_the_event_of_their_own_tenant() -> None:
    a, b = _twins("x")
    facts = [VendorFact("ta", "vat:X", "IBAN-A", event_id=a.event_id),
             VendorFact("tb", "vat:X", "IBAN-B", event_id=b.event_id),
             VendorFact("tc", "vat:X", "IBAN-C", event_id=a.event_id)]  # same event id, no event of tenant tc
    cols = dict(zip(VENDOR_COLUMNS, record_batch([a, b], facts).vendors, strict=True))
    assert cols["tenant_id"] == ["ta", "tb"] and cols["iban"] == ["IBAN-A", "IBAN-B"]


@pytest.mark.parametrize(("sql", "count"), [(RECORD_BATCH, RECORD_PARAMETERS), (VENDOR_MASTER, 5)])
def test_statements_number_their_parameters_one_to_n(sql: str, count: int) -> None:
    assert sorted({int(n) for n in re.findall(r"\$(\d+)", sql)}) == list(range(1, count + 1))


# --- the contract, written once: the statement's paths are the model's fields ---------------------------------

_NOT_RECORDED = {"schema_version"}  # no table keeps it (version 2's document is kept by migration 0010)


def _drift(model: type[BaseModel], rename: dict[str, str] | None = None,
           retype: dict[str, Any] | None = None) -> type[BaseModel]:
    """A copy of `model` as a change in schemas/ would leave it: fields renamed or given another type."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        fields[(rename or {}).get(name, name)] = ((retype or {}).get(name, info.annotation), info)
    return create_model(f"Drifted{model.__name__}", __config__=model.model_config, **fields)


def test_the_statement_reads_every_field_of_the_contract_and_the_trace_id() -> None:
    read = set(re.findall(r"\be->>?'(\w+)'", RECORD_BATCH))
    assert read == set(InvoiceScored.model_fields) - _NOT_RECORDED | {TRACE_ID_KEY}


def test_the_unchanged_contract_builds_the_statement() -> None:
    assert record_batch_statement(_drift(InvoiceScored)) == RECORD_BATCH


@pytest.mark.parametrize("field", sorted(set(InvoiceScored.model_fields) - _NOT_RECORDED))
def test_renaming_any_recorded_field_of_the_contract_fails_the_statement(field: str) -> None:
    with pytest.raises(ContractPathError, match=repr(field)):
        record_batch_statement(_drift(InvoiceScored, rename={field: field + "_renamed"}))


@pytest.mark.parametrize(("model", "field"), [(InvoiceData, "amount_due"), (InvoiceData, "seller"),
                                              (InvoiceData, "lines"), (LineItem, "net_amount")])
def test_renaming_a_recorded_field_of_the_invoice_or_its_lines_fails_the_statement(
        model: type[BaseModel], field: str) -> None:
    line = _drift(LineItem, rename={field: "renamed"} if model is LineItem else None)
    invoice = _drift(InvoiceData, rename={field: "renamed"} if model is InvoiceData else None,
                     retype={"lines": tuple[line, ...]})
    with pytest.raises(ContractPathError, match=repr(field)):
        record_batch_statement(_drift(InvoiceScored, retype={"invoice": invoice | None}))


def test_a_field_s_new_type_sets_its_cast_and_a_misfit_fails() -> None:
    assert "(e->>'score')::numeric AS score" in record_batch_statement(_drift(InvoiceScored, retype={"score": Decimal}))
    with pytest.raises(ContractPathError, match="no scalar"):
        record_batch_statement(_drift(InvoiceScored, retype={"score": tuple[str, ...]}))


def test_the_vendor_columns_are_vendor_fact_fields() -> None:
    assert set(VENDOR_COLUMNS) <= {f.name for f in dataclasses.fields(VendorFact)}
    fact = VendorFact("t", "vat:X", "IBAN", name="N", vat_id="X", event_id="ev")
    assert record_batch([scored("a", "t").model_copy(update={"event_id": "ev"})], [fact]).vendors == [
        [getattr(fact, c)] for c in VENDOR_COLUMNS]


class _Conn:
    def __init__(self, pool: _Pool) -> None:
        self.pool = pool

    async def fetchval(self, sql: str, *args: Any) -> int:
        self.pool.calls.append((sql, args))
        if self.pool.fail:
            raise OSError("connection reset")
        return 2


class _Pool:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.fail = fail

    def acquire(self) -> _Pool:
        return self

    async def __aenter__(self) -> _Conn:
        return _Conn(self)

    async def __aexit__(self, *exc: object) -> None:
        return None


async def test_a_batch_is_one_statement_with_every_array() -> None:
    pool = _Pool()
    events = [scored(f"i{n}", "t") for n in range(50)]
    assert await PostgresRecords(pool).write_scored(events) == 2
    assert len(pool.calls) == 1
    sql, args = pool.calls[0]
    assert sql == RECORD_BATCH and len(args) == RECORD_PARAMETERS
    assert args[0] == ["t"] * 50 and args[1] == [f"i{n}" for n in range(50)] and len(args[2]) == 50
    assert await PostgresRecords(pool).write_scored([]) == 0 and len(pool.calls) == 1


async def test_a_connection_failure_is_a_retriable_sink_error() -> None:
    with pytest.raises(SinkError) as err:
        await PostgresRecords(_Pool(fail=True)).write_scored([scored("a", "t")])
    assert err.value.retriable and isinstance(err.value.__cause__, OSError)



def test_the_record_s_text_and_json_carry_no_nul() -> None:
    event = scored("a\x00b", "t\x00")
    assert event.invoice is not None
    event = event.model_copy(update={"invoice": event.invoice.model_copy(update={"invoice_number": "N\x001"})})
    batch = record_batch([event], [VendorFact("t\x00", "vat:X", None, "Acme\x00", "DE1", event_id=event.event_id)])
    assert (batch.tenant_ids, batch.invoice_ids) == (["t\ufffd"], ["a\ufffdb"])
    assert "\\u0000" not in batch.latest[0]
    assert orjson.loads(batch.latest[0])["invoice"]["invoice_number"] == "N\ufffd1"
    assert batch.vendors[VENDOR_COLUMNS.index("name")] == ["Acme\ufffd"]
    plain = scored("c", "t")
    assert record_batch([plain]).latest[0] == plain.model_dump_json()  # nothing to replace: the JSON as it was


async def test_a_value_postgresql_refuses_is_no_outage() -> None:
    class _Refusing(_Pool):
        def acquire(self) -> _Pool:
            raise asyncpg.exceptions.NumericValueOutOfRangeError("value overflows numeric format")

    with pytest.raises(RecordRefused) as err:
        await PostgresRecords(_Refusing()).write_scored([scored("a", "t")])
    assert not err.value.retriable and not err.value.outage
