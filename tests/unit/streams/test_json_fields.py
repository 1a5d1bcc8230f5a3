"""Paths into an event's JSON, named and typed by its pydantic model: a path the model lacks is refused."""

from __future__ import annotations

import pytest

from schemas import DocumentDetected, InvoiceData, InvoiceScored
from streams.sinks._json_fields import ContractPathError, JsonFields

E = JsonFields(InvoiceScored, "e")


@pytest.mark.parametrize(("path", "sql"), [
    (("event_id",), "e->>'event_id'"),
    (("decision",), "e->>'decision'"),  # a StrEnum is text
    (("route",), "e->>'route'"),  # optional: None is JSON null, NULL whatever the cast
    (("score",), "(e->>'score')::float8"),
    (("pages",), "(e->>'pages')::int"),
    (("scored_at",), "(e->>'scored_at')::timestamptz"),
    (("detected_at",), "(e->>'detected_at')::timestamptz"),
    (("cost", "usd"), "(e->'cost'->>'usd')::numeric"),
    (("cost", "model"), "e->'cost'->>'model'"),
    (("invoice", "issue_date"), "(e->'invoice'->>'issue_date')::date"),
    (("invoice", "seller", "vat_id"), "e->'invoice'->'seller'->>'vat_id'"),
])
def test_a_scalar_is_read_as_text_and_cast_to_its_field_s_type(path: tuple[str, ...], sql: str) -> None:
    assert E.value(*path) == sql


def test_a_bool_is_read_as_boolean() -> None:
    assert JsonFields(DocumentDetected, "d").value("signed") == "(d->>'signed')::boolean"


def test_json_keeps_objects_and_arrays_as_jsonb() -> None:
    assert E.json("reasons") == "e->'reasons'"
    assert E.json("invoice") == "e->'invoice'"
    assert E.json("invoice", "lines") == "e->'invoice'->'lines'"


def test_a_column_is_named_after_its_path_unless_named() -> None:
    assert E.column("cost", "pages") == "(e->'cost'->>'pages')::int AS cost_pages"
    assert E.column("pages", name="doc_pages") == "(e->>'pages')::int AS doc_pages"


def test_within_reads_a_nested_model_or_each_element_of_a_tuple_of_models() -> None:
    inv = E.within("invoice", root="invoice")
    assert inv.model is InvoiceData
    assert inv.value("amount_due") == "(invoice->>'amount_due')::numeric"
    line = inv.within("lines", root="li.v")
    assert line.value("quantity") == "(li.v->>'quantity')::numeric"
    assert inv.at("c.invoice").json("lines") == "c.invoice->'lines'"


@pytest.mark.parametrize("path", [("invoice_no",), ("cost", "dollars"), ("invoice", "seller", "iban"), ()])
def test_a_path_the_model_lacks_is_refused_with_the_model_and_field_named(path: tuple[str, ...]) -> None:
    with pytest.raises(ContractPathError) as err:
        E.value(*path)
    if path:
        assert repr(path[-1]) in str(err.value)


def test_a_value_of_a_non_scalar_and_a_model_of_a_scalar_are_refused() -> None:
    with pytest.raises(ContractPathError, match="no scalar"):
        E.value("reasons")
    with pytest.raises(ContractPathError, match="no scalar"):
        E.value("cost")
    with pytest.raises(ContractPathError, match="holds no model"):
        E.within("score", root="s")
    with pytest.raises(ContractPathError):
        E.value("score", "deeper")


def test_an_extra_key_may_not_be_a_field_of_the_contract() -> None:
    assert E.extra("trace_id") == "e->>'trace_id'"
    with pytest.raises(ContractPathError, match="has a field"):
        E.extra("event_id")


def test_keys_are_quoted_as_sql_literals() -> None:
    with pytest.raises(ContractPathError):
        E.value("it's")
    assert JsonFields(InvoiceScored, "e").extra("it's") == "e->>'it''s'"
