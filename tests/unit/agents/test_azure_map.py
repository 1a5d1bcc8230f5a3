"""The prebuilt-invoice result maps into InvoiceData with the service's confidences, exact amounts, codes."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agents.readers.azure_map import map_analyze_result
from schemas import DocType

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "azure_prebuilt_invoice.json"


@pytest.fixture()
def result() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


def _fields(result: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = result["documents"][0]["fields"]
    return fields


def test_header_fields_and_pages(result: dict[str, Any]) -> None:
    invoice, pages = map_analyze_result(result)
    assert pages == 2
    assert invoice.invoice_number == "RE-2024-00731"
    assert invoice.doc_type is DocType.INVOICE
    assert invoice.issue_date == date(2024, 3, 14)
    assert invoice.due_date == date(2024, 4, 13)
    assert invoice.currency == "EUR"
    assert invoice.payment_terms == "Zahlbar innerhalb 30 Tagen ohne Abzug"
    assert invoice.order_reference == "PO-55821"


def test_parties_are_normalised(result: dict[str, Any]) -> None:
    invoice, _ = map_analyze_result(result)
    assert invoice.seller.name == "Druckservice Nord GmbH"
    assert invoice.seller.vat_id == "DE811907980"
    assert invoice.seller.address is not None
    assert invoice.seller.address.lines == ("Hafenstraße 17",)
    assert (invoice.seller.address.postal_code, invoice.seller.address.city) == ("20457", "Hamburg")
    assert invoice.seller.address.country == "DE"  # the service's alpha-3 DEU
    assert invoice.buyer.name == "Offsetdruck Weber KG"
    assert invoice.buyer.vat_id == "DE136695976"
    assert invoice.buyer.address is not None and invoice.buyer.address.country is None
    assert invoice.seller_iban == "DE89370400440532013000"
    assert invoice.seller_bic == "COBADEFFXXX"


def test_amounts_are_exact_decimals(result: dict[str, Any]) -> None:
    invoice, _ = map_analyze_result(result)
    assert invoice.total_net == Decimal("1568.90")
    assert invoice.total_tax == Decimal("292.10")
    assert invoice.total_incl_vat == Decimal("1861.00")
    assert invoice.amount_due == Decimal("1861.00")
    assert str(invoice.total_tax) == "292.10"
    assert invoice.line_net_total == Decimal("1568.90")
    rows = [(t.rate, t.taxable_amount, t.tax_amount) for t in invoice.tax_breakdown]
    assert rows == [
        (Decimal(19), Decimal("1519.00"), Decimal("288.61")),
        (Decimal(7), Decimal("49.90"), Decimal("3.49")),
    ]


def test_lines(result: dict[str, Any]) -> None:
    invoice, _ = map_analyze_result(result)
    first, second, third = invoice.lines
    assert (first.line_id, first.description) == ("1", "Wartung Druckmaschine Typ HX-200")
    assert (first.quantity, first.unit, first.unit_price, first.net_amount) == (
        Decimal(12), "HUR", Decimal("85.00"), Decimal("1020.00")
    )
    assert first.tax_rate == Decimal(19)
    assert (second.unit, second.unit_price) == ("C62", Decimal("249.50"))
    assert (third.unit, third.tax_rate) == (None, Decimal(7))


def test_confidences_are_the_services_under_our_names(result: dict[str, Any]) -> None:
    invoice, _ = map_analyze_result(result)
    conf = invoice.confidence
    assert conf["invoice_number"] == 0.972
    assert conf["issue_date"] == 0.968
    assert conf["seller.name"] == 0.943
    assert conf["seller.vat_id"] == 0.915
    assert conf["buyer.name"] == 0.927
    assert conf["amount_due"] == 0.936
    assert conf["total_incl_vat"] == conf["currency"] == 0.958
    assert conf["seller_iban"] == 0.934
    assert conf["lines"] == 0.894  # the least sure line
    assert "allowance_total" not in conf  # not read, so no confidence
    assert set(conf) <= set(invoice.model_dump()) | {
        "seller.name", "seller.vat_id", "seller.address", "buyer.name", "buyer.vat_id", "buyer.address"
    }


def test_missing_amount_due_is_taken_from_the_total_with_less_confidence(result: dict[str, Any]) -> None:
    del _fields(result)["AmountDue"]
    invoice, _ = map_analyze_result(result)
    assert invoice.amount_due == Decimal("1861.00")
    assert invoice.confidence["amount_due"] < invoice.confidence["total_incl_vat"]


def test_currency_from_symbol_when_no_code(result: dict[str, Any]) -> None:
    for name in ("InvoiceTotal", "AmountDue", "SubTotal", "TotalTax"):
        _fields(result)[name]["valueCurrency"].pop("currencyCode")
    invoice, _ = map_analyze_result(result)
    assert invoice.currency == "EUR"
    assert invoice.confidence["currency"] < 0.958


@pytest.mark.parametrize(
    ("raw", "code"), [("DE", "DE"), ("at", "AT"), ("FRA", "FR"), ("Deutschland", "DE"), ("XYZ", None)]
)
def test_country_codes(result: dict[str, Any], raw: str, code: str | None) -> None:
    _fields(result)["VendorAddress"]["valueAddress"]["countryRegion"] = raw
    invoice, _ = map_analyze_result(result)
    assert invoice.seller.address is not None and invoice.seller.address.country == code


def test_numeric_tax_rate_fraction_becomes_percent(result: dict[str, Any]) -> None:
    item = _fields(result)["Items"]["valueArray"][0]["valueObject"]
    item["TaxRate"] = {"type": "number", "valueNumber": 0.19, "content": "0.19", "confidence": 0.8}
    invoice, _ = map_analyze_result(result)
    assert invoice.lines[0].tax_rate == Decimal("19.00")


def test_negative_total_is_a_credit_note(result: dict[str, Any]) -> None:
    _fields(result)["InvoiceTotal"]["valueCurrency"]["amount"] = -1861
    invoice, _ = map_analyze_result(result)
    assert invoice.doc_type is DocType.CREDIT_NOTE


def test_no_document_reads_nothing_but_counts_pages(result: dict[str, Any]) -> None:
    read_only = copy.deepcopy(result)
    read_only["documents"] = []
    invoice, pages = map_analyze_result(read_only)
    assert pages == 2
    assert invoice.invoice_number is None and invoice.confidence == {}


def test_malformed_values_are_dropped_not_raised(result: dict[str, Any]) -> None:
    fields = _fields(result)
    fields["InvoiceDate"]["valueDate"] = "14.03.2024"
    fields["SubTotal"]["valueCurrency"]["amount"] = "n/a"
    invoice, _ = map_analyze_result(result)
    assert invoice.issue_date is None and "issue_date" not in invoice.confidence
    assert invoice.total_net is None


@pytest.mark.parametrize("amount", [1e300, float("inf"), "1E+999999", 10**15])
def test_a_number_no_invoice_states_is_dropped_not_crashed_on(result: dict[str, Any], amount: object) -> None:
    _fields(result)["InvoiceTotal"]["valueCurrency"]["amount"] = amount
    invoice, _ = map_analyze_result(result)
    assert invoice.total_incl_vat is None  # the reading goes on without it; `required` and the sums see it
    assert invoice.total_tax == Decimal("292.10")
