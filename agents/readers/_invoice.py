"""Assemble an InvoiceData from what a structured reader found: the values nodes state, the VAT breakdown,
the payee's account, a line's quantity, and the confidences.

Every structured reader finds the same business terms, each syntax in its own places; what it found is
assembled here, once. A field a reader reads under the name of a field of the contract (`stated`) is that
field's value, typed as the contract types it (text, date or amount), so a reader declares where a term sits
and no more. A VAT row and the account are built from fields named by the conventions of `tax_rows` and
`account`, each syntax giving only what it states its own way (a row's category and rate); parties are built
the same way, in `_parties`. The rule "a value read from the XML has confidence 1.0, an absent value has
none" lives here too (`invoice_from_fields`); party sub-fields get dotted confidence keys (``seller.name``,
``buyer.vat_id``...) so scoring can tell a missing VAT id from a missing name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from lxml import etree

from agents.readers._en16931_terms import Breakdown, breakdown
from agents.readers._fields import Fields, Found
from agents.readers._xpath import parse_amount, parse_date
from schemas import DocType, InvoiceData, LineItem, Party, TaxSubtotal

__all__ = ["account", "invoice_from_fields", "quantity_of", "stated", "tax_rows"]

_PARTY_FIELDS = ("name", "vat_id", "legal_id", "address")

Parser = Callable[[str | None], object] | None  # None: the text as it is
Plan = tuple[tuple[str, Parser], ...]

_PARSERS: dict[object, Parser] = {str: None, date: parse_date, Decimal: parse_amount}


def _parsers(model: type[InvoiceData | LineItem]) -> dict[str, Parser]:
    """The model's fields of one value (text, date or amount) and how each is parsed."""
    found = {}
    for name, info in model.model_fields.items():
        optional = get_origin(info.annotation) in (Union, UnionType)
        kinds = set(get_args(info.annotation)) - {type(None)} if optional else {info.annotation}
        kind = kinds.pop() if len(kinds) == 1 else None
        if get_origin(kind) is Annotated:  # `schemas.Amount`: a Decimal with the contract's bounds
            kind = get_args(kind)[0]
        if kind in _PARSERS:
            found[name] = _PARSERS[kind]
    return found


_MODEL_PARSERS = {InvoiceData: _parsers(InvoiceData), LineItem: _parsers(LineItem)}
# per model, the plan of each table `stated` has read: the tables are the readers' module constants, so this
# holds a few dozen entries at most
_PLANS: dict[type[InvoiceData | LineItem], dict[Fields, Plan]] = {InvoiceData: {}, LineItem: {}}


def _plan(fields: Fields, model: type[InvoiceData | LineItem]) -> Plan:
    """The fields of a table that name a field of `model`, with their parsers (worked out once a table)."""
    plans = _PLANS[model]
    plan = plans.get(fields)
    if plan is None:
        parsers = _MODEL_PARSERS[model]
        plan = plans[fields] = tuple((name, parsers[name]) for name in fields.names if name in parsers)
    return plan


def stated(found: Found, model: type[InvoiceData | LineItem] = InvoiceData) -> dict[str, Any]:
    """The values a node states for the invoice or a line: every field `found` read under the name of one of
    the model's text, date or amount fields, parsed as that field's type (None when absent)."""
    text = found.text
    return {name: text(name) if parse is None else parse(text(name)) for name, parse in _plan(found.fields, model)}


def tax_rows(
    nodes: Iterable[etree._Element],
    fields: Fields,
    category_and_rate: Callable[[Found], tuple[str | None, Decimal | None]],
    as_stated: list[Breakdown] | None = None,
) -> tuple[TaxSubtotal, ...]:
    """The VAT breakdown: one row per node that states both its ``taxable`` and its ``tax`` amount (as `fields`
    reads them), with the category and rate `category_and_rate` tells. Given `as_stated`, every row, complete
    or not, is appended to it as stated (what the EN 16931 check judges: `_en16931_terms.breakdown`)."""
    rows = []
    for node in nodes:
        found = fields.read(node)
        taxable, tax = parse_amount(found.text("taxable")), parse_amount(found.text("tax"))
        category, rate = category_and_rate(found)
        if as_stated is not None:
            as_stated.append(breakdown(found, taxable, tax, rate))
        if taxable is None or tax is None:
            continue
        rows.append(TaxSubtotal(category=category, rate=rate, taxable_amount=taxable, tax_amount=tax))
    return tuple(rows)


def account(means: Iterable[Found], bics: tuple[str, ...] = ("bic",)) -> dict[str, str | None]:
    """The payee's account: the ``iban`` (spaces dropped) of the first payment means that states one, and its
    BIC (the first of the fields `bics` that states one), as ``seller_iban`` and ``seller_bic``."""
    for found in means:
        iban = found.text("iban")
        if iban is not None:
            bic = next((value for name in bics if (value := found.text(name)) is not None), None)
            return {"seller_iban": iban.replace(" ", ""), "seller_bic": bic}
    return {"seller_iban": None, "seller_bic": None}


def quantity_of(element: etree._Element | None) -> dict[str, Any]:
    """A line's ``quantity`` and ``unit`` from a quantity element that names its unit in ``unitCode`` (UN/ECE
    Recommendation 20, as UBL and CII do); both None without one."""
    if element is None:
        return {"quantity": None, "unit": None}
    return {"quantity": parse_amount(element.text), "unit": element.get("unitCode")}


def _present(value: object) -> bool:
    """Whether a value counts as read: not None, and not an empty string or tuple (tested by type, not by
    comparing with ``()`` and ``""``: a Decimal compared with those consults numbers.Rational, an ABC, and a
    pydantic model runs its ``__eq__``; this is called some 30 times a document)."""
    if value is None:
        return False
    return len(value) > 0 if isinstance(value, str | tuple) else True


def invoice_from_fields(doc_type: DocType, fields: dict[str, Any], confidence: float = 1.0) -> InvoiceData:
    """Build the InvoiceData, recording `confidence` for every field that has a value.

    Args:
        doc_type: The business meaning of the document.
        fields: InvoiceData field names to values (None or empty when the document lacks them).
        confidence: The confidence of each value present (1.0 for values read from an e-invoice).

    Returns:
        The validated InvoiceData.
    """
    scores: dict[str, float] = {}
    for name, value in fields.items():
        if isinstance(value, Party):
            for sub in _PARTY_FIELDS:
                if _present(getattr(value, sub)):
                    scores[f"{name}.{sub}"] = confidence
        elif _present(value):
            scores[name] = confidence
    scores["doc_type"] = confidence
    return InvoiceData(doc_type=doc_type, confidence=scores, **fields)
