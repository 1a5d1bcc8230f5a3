"""Every validation rule and its reason codes on hand-made invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from agents.rules import arithmetic, codes, confidence, dates, document, history, iban, limits, required, vat_ids
from agents.rules.catalog import SPECS, Finding
from agents.rules.fields import value_of
from agents.rules.history import ScoreContext, business_key, business_keys, seller_identity
from config.policy import KNOWN_FIELDS, RULE_CODES, TenantPolicy
from schemas import (
    Address,
    DocType,
    DocumentFormat,
    DocumentRef,
    InvoiceData,
    InvoiceExtracted,
    LineItem,
    Party,
    Reason,
    Route,
    TaxSubtotal,
)

D = Decimal


def inv(**changes: Any) -> InvoiceData:
    """A consistent invoice: 3 lines, allowance and charge, two VAT rates, prepaid part, rounding."""
    base: dict[str, Any] = {
        "invoice_number": "R-100",
        "doc_type": DocType.INVOICE,
        "issue_date": date(2024, 3, 1),
        "due_date": date(2024, 3, 31),
        "currency": "EUR",
        "seller": Party(name="Muster GmbH", vat_id="DE136695976", address=Address(country="DE")),
        "buyer": Party(name="Käufer AG", vat_id="ATU13585627", address=Address(country="AT")),
        "seller_iban": "DE89 3704 0044 0532 0130 00",
        "lines": (
            LineItem(net_amount=D("100.00")),
            LineItem(net_amount=D("50.00")),
            LineItem(net_amount=D("20.00")),
        ),
        "line_net_total": D("170.00"),
        "allowance_total": D("10.00"),
        "charge_total": D("5.00"),
        "total_net": D("165.00"),
        "tax_breakdown": (
            TaxSubtotal(category="S", rate=D(19), taxable_amount=D("145.00"), tax_amount=D("27.55")),
            TaxSubtotal(category="S", rate=D(7), taxable_amount=D("20.00"), tax_amount=D("1.40")),
        ),
        "total_tax": D("28.95"),
        "total_incl_vat": D("193.95"),
        "prepaid": D("50.00"),
        "rounding": D("0.05"),
        "amount_due": D("144.00"),
    }
    base.update(changes)
    return InvoiceData(**base)


def codes_of(found: list[Finding] | tuple[Finding, ...]) -> list[str]:
    return [f.code for f in found]


TOL = D("0.01")


# --- arithmetic -------------------------------------------------------------------------------------


def test_a_consistent_invoice_passes_every_sum() -> None:
    assert arithmetic.check(inv(), TOL) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"line_net_total": D("170.50")}, "line_total_mismatch"),
        ({"total_net": D("175.00")}, "net_total_mismatch"),
        ({"total_tax": D("29.95")}, "tax_total_mismatch"),
        ({"total_incl_vat": D("194.95")}, "total_incl_vat_mismatch"),
        ({"amount_due": D("194.00")}, "amount_due_mismatch"),
    ],
)
def test_each_totals_rule_fails_alone(changes: dict[str, Any], code: str) -> None:
    assert code in codes_of(arithmetic.check(inv(**changes), TOL))


def test_tax_per_rate_and_breakdown_base() -> None:
    wrong_tax = (
        TaxSubtotal(category="S", rate=D(19), taxable_amount=D("145.00"), tax_amount=D("26.55")),
        TaxSubtotal(category="S", rate=D(7), taxable_amount=D("20.00"), tax_amount=D("2.40")),
    )
    found = codes_of(arithmetic.check(inv(tax_breakdown=wrong_tax), TOL))
    assert found.count("tax_rate_mismatch") == 1  # one reason for the breakdown, not one per row
    wrong_base = (
        TaxSubtotal(category="S", rate=D(19), taxable_amount=D("145.00"), tax_amount=D("27.55")),
        TaxSubtotal(category="S", rate=D(7), taxable_amount=D("30.00"), tax_amount=D("2.10")),
    )
    assert "tax_base_mismatch" in codes_of(arithmetic.check(inv(tax_breakdown=wrong_base, total_tax=D("29.65"),
                                                               total_incl_vat=D("194.65"), amount_due=D("144.70")),
                                                           TOL))


def test_exempt_categories_without_a_rate_must_carry_no_tax() -> None:
    exempt_ok = (TaxSubtotal(category="E", taxable_amount=D("165.00"), tax_amount=D("0")),)
    fine = inv(tax_breakdown=exempt_ok, total_tax=D("0"), total_incl_vat=D("165.00"), amount_due=D("115.05"))
    assert arithmetic.check(fine, TOL) == []
    taxed = (TaxSubtotal(category="AE", taxable_amount=D("165.00"), tax_amount=D("5")),)
    assert "tax_rate_mismatch" in codes_of(arithmetic.check(fine.model_copy(update={"tax_breakdown": taxed}), TOL))
    unknown_rate = (TaxSubtotal(category="S", taxable_amount=D("165.00"), tax_amount=D("28.95")),)
    assert arithmetic.check(inv(tax_breakdown=unknown_rate), TOL) == []  # nothing to compare against


def test_rounding_tolerance_grows_with_the_number_of_summed_lines() -> None:
    lines = tuple(LineItem(net_amount=D("0.333")) for _ in range(30))  # 9.99, shown rounded to 10.00
    many = InvoiceData(lines=lines, line_net_total=D("10.00"))
    assert arithmetic.check(many, TOL) == []
    assert codes_of(arithmetic.check(many.model_copy(update={"line_net_total": D("10.30")}), TOL)) == [
        "line_total_mismatch"
    ]
    one_line = InvoiceData(lines=(LineItem(net_amount=D("9.98")),), line_net_total=D("10.00"))
    assert codes_of(arithmetic.check(one_line, TOL)) == ["line_total_mismatch"]


def test_checks_with_missing_inputs_are_skipped() -> None:
    assert arithmetic.check(InvoiceData(amount_due=D("5")), TOL) == []
    no_amount_line = inv(lines=(LineItem(net_amount=None), LineItem(net_amount=D("1"))))
    assert "line_total_mismatch" not in codes_of(arithmetic.check(no_amount_line, TOL))


# --- dates ------------------------------------------------------------------------------------------


def test_issue_date_in_the_future_beyond_the_policy_days() -> None:
    today = date(2024, 3, 1)
    assert dates.check(inv(issue_date=date(2024, 3, 2), due_date=None), today, 1) == []
    assert codes_of(dates.check(inv(issue_date=date(2024, 3, 3), due_date=None), today, 1)) == [
        "issue_date_in_future"
    ]
    assert dates.check(inv(issue_date=date(2024, 3, 3), due_date=None), today, 5) == []


def test_due_date_before_issue_date() -> None:
    today = date(2025, 1, 1)
    assert codes_of(dates.check(inv(due_date=date(2024, 2, 28)), today, 1)) == ["due_before_issue"]
    assert dates.check(inv(due_date=date(2024, 3, 1)), today, 1) == []
    assert dates.check(inv(due_date=None, issue_date=None), today, 1) == []


# --- code lists -------------------------------------------------------------------------------------


def test_code_lists_are_complete_data() -> None:
    assert len(codes.COUNTRIES) == 249
    assert {"DE", "GR", "GB", "US", "AX", "SS"} <= codes.COUNTRIES
    assert "EL" not in codes.COUNTRIES and "UK" not in codes.COUNTRIES
    assert {"EUR", "USD", "CHF", "JPY", "SEK", "PLN", "HRK"} <= codes.CURRENCIES
    assert "XXX" not in codes.CURRENCIES and "XTS" not in codes.CURRENCIES
    assert all(len(c) == 3 and c.isupper() for c in codes.CURRENCIES)


def test_unknown_currency_and_countries() -> None:
    assert codes.check(inv()) == []
    assert codes.check(inv(currency=" eur ")) == []
    assert codes_of(codes.check(inv(currency="EURO"))) == ["currency_unknown"]
    bad = inv(seller=Party(name="x", address=Address(country="UK")), buyer=Party(address=Address(country="XI")))
    assert [(f.code, f.field) for f in codes.check(bad)] == [("country_unknown", "seller.address.country")]


# --- VAT identifiers --------------------------------------------------------------------------------

VALID_VAT_IDS = [
    "ATU13585627", "BE0411905847", "DE136695976", "DK13585628", "EL094259216", "ESA28015865", "ESX1234567L",
    "ES12345678Z", "ESM1234567L", "FI20774740", "FR40303265045", "FRK7399859412", "IT00743110157", "LU15027442",
    "NL004495445B01", "NL123456789B13", "PL5260250995", "PT501964843", "SE556703748501", "SI50223054",
    "HR33392005961", "GB980780684", "GBGD001", "XI980780684", "CHE116281710MWST", "NO923609016MVA",
    "CY12345678X", "IE6388047V", "US123456789",
]

INVALID_VAT_IDS = [
    "ATU13585628",  # check digit
    "BE0411905848",
    "DE136695977",
    "DE023456789",  # cannot start with 0
    "DK13585629",
    "EL094259217",
    "GR094259216",  # Greece uses EL
    "ESA28015866",
    "ES12345678A",
    "FI20774741",
    "FR41303265045",
    "IT00743110158",
    "LU15027443",
    "NL004495446B01",  # fails both the 11-test and mod 97
    "NL004495445B00",
    "PL5260250996",
    "PT501964844",
    "SE556703748502",
    "SE556703748601",  # must end in 01
    "SI50223055",
    "GB980780685",
    "CHE116281711",
    "DE12345678",  # too short
    "DE1234567890",  # too long
    "12345",  # no country prefix
    "QQ123456789",  # no such country
    "DE123456789",  # the classic placeholder fails its check digit
]


@pytest.mark.parametrize("value", VALID_VAT_IDS)
def test_valid_vat_ids(value: str) -> None:
    assert vat_ids.is_valid_vat_id(value)


@pytest.mark.parametrize("value", INVALID_VAT_IDS)
def test_invalid_vat_ids(value: str) -> None:
    assert not vat_ids.is_valid_vat_id(value)


def test_vat_ids_are_normalised_before_checking() -> None:
    assert vat_ids.is_valid_vat_id("de 136.695.976")
    assert vat_ids.is_valid_vat_id("CHE-116.281.710 MWST")
    assert vat_ids.normalise_vat_id(" atu-1358 5627 ") == "ATU13585627"


def test_vat_rule_names_the_party_and_requires_an_identified_seller() -> None:
    assert vat_ids.check(inv()) == []
    bad = inv(buyer=Party(name="b", vat_id="DE136695977"))
    assert [(f.code, f.field) for f in vat_ids.check(bad)] == [("vat_id_invalid", "buyer.vat_id")]
    anonymous = inv(seller=Party(name="s", vat_id="  "))
    assert codes_of(vat_ids.check(anonymous)) == ["seller_unidentified"]
    assert vat_ids.check(inv(seller=Party(name="s", legal_id="HRB 1234"))) == []


# --- IBAN -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606",
        "NL91ABNA0417164300", "BE68539007547034", "CH9300762011623852957", "NO9386011117947",
        "MT84MALT011000012345MTLCAST001S", "de89-3704-0044-0532-0130-00",
    ],
)
def test_valid_ibans(value: str) -> None:
    assert iban.is_valid_iban(value)


@pytest.mark.parametrize(
    "value",
    [
        "DE89370400440532013001",  # check digits
        "DE8937040044053201300",  # length for DE
        "GB82WEST1234569876543",
        "QQ89370400440532013000",  # no such IBAN country
        "IBAN32423940",
        "12345678",
        "",
    ],
)
def test_invalid_ibans(value: str) -> None:
    assert not iban.is_valid_iban(value)


def test_iban_rule() -> None:
    assert iban.check(inv()) == []
    assert iban.check(inv(seller_iban=None)) == []
    assert [(f.code, f.field) for f in iban.check(inv(seller_iban="DE00370400440532013000"))] == [
        ("iban_invalid", "seller_iban")
    ]
    assert len(iban.IBAN_LENGTHS) > 80 and iban.IBAN_LENGTHS["NO"] == 15 and iban.IBAN_LENGTHS["RU"] == 33


# --- required fields and field access ---------------------------------------------------------------


def test_required_fields_missing_or_empty() -> None:
    wanted = ("invoice_number", "seller.address.country", "due_date", "seller.vat_id")
    assert required.check(inv(), wanted) == []
    sparse = inv(invoice_number="  ", seller=Party(name="x"), due_date=None)
    assert [f.field for f in required.check(sparse, wanted)] == [
        "invoice_number", "seller.address.country", "due_date", "seller.vat_id"
    ]
    assert all(f.code == "missing_field" for f in required.check(sparse, wanted))


def test_known_fields_are_exactly_the_invoice_fields() -> None:
    nested = {"seller", "buyer"}
    flat = set(InvoiceData.model_fields) - nested - {"confidence", "doc_type"}
    party = {f"{p}.{n}" for p in nested for n in Party.model_fields if n != "address"}
    address = {f"{p}.address.{n}" for p in nested for n in Address.model_fields}
    assert flat | party | address == set(KNOWN_FIELDS)
    assert value_of(inv(), "buyer.address.country") == "AT"
    assert value_of(InvoiceData(), "seller.address.city") is None
    assert value_of(inv(lines=()), "lines") is None


# --- document gate ----------------------------------------------------------------------------------

NOW = datetime(2024, 3, 2, tzinfo=UTC)


def extracted(invoice: InvoiceData | None, route: Route = Route.STRUCTURED, **changes: Any) -> InvoiceExtracted:
    fields: dict[str, Any] = {
        "event_id": "ev-1", "invoice_id": "inv-1", "tenant_id": "t1", "received_at": NOW, "extracted_at": NOW,
        "document": DocumentRef(uri="file:///x.xml", sha256="a" * 64, size=10), "format": DocumentFormat.UBL,
        "route": route, "extractor": "ubl", "invoice": invoice,
    }
    fields.update(changes)
    return InvoiceExtracted(**fields)


@pytest.mark.parametrize(
    ("route", "code"),
    [(Route.INVALID, "invalid_document"), (Route.UNSUPPORTED, "unsupported_document"),
     (Route.NOT_INVOICE, "not_invoice")],
)
def test_gate_stops_at_routes_without_an_invoice(route: Route, code: str) -> None:
    gate = document.check(extracted(None, route, reasons=(Reason(code="xml_malformed", message="m"),)), True)
    assert gate.terminal and codes_of(gate.findings) == [code]


def test_gate_on_missing_fields_resends_and_document_kinds() -> None:
    assert codes_of(document.check(extracted(None), True).findings) == ["extraction_failed"]
    resent = document.check(extracted(None, Route.DUPLICATE), True)
    assert resent.terminal and resent.findings == ()
    order = document.check(extracted(inv(doc_type=DocType.PURCHASE_ORDER)), True)
    assert order.terminal and codes_of(order.findings) == ["not_invoice"]
    unknown = document.check(extracted(inv(doc_type=DocType.UNKNOWN)), True)
    assert not unknown.terminal and codes_of(unknown.findings) == ["doc_type_unknown"]
    assert document.check(extracted(inv(doc_type=DocType.SELF_BILLED_INVOICE)), True).findings == ()


def test_credit_notes_and_negative_invoices_are_reviewed_when_the_policy_says_so() -> None:
    credit = extracted(inv(doc_type=DocType.CREDIT_NOTE))
    assert [(f.code, f.field) for f in document.check(credit, True).findings] == [("credit_note", "doc_type")]
    assert document.check(credit, False).findings == ()
    negative = extracted(inv(amount_due=D("-5")))
    assert [(f.code, f.field) for f in document.check(negative, True).findings] == [("credit_note", "amount_due")]


# --- limits -----------------------------------------------------------------------------------------


def test_currency_allowed_and_amount_limits() -> None:
    assert limits.check(inv(), ("EUR",), {"EUR": D("1000")}) == []
    assert codes_of(limits.check(inv(currency="USD"), ("EUR", "CHF"), {})) == ["currency_not_allowed"]
    assert codes_of(limits.check(inv(), None, {"EUR": D("100")})) == ["amount_over_limit"]
    assert codes_of(limits.check(inv(currency="CHF"), None, {"EUR": D("1000"), "*": D("100")})) == [
        "amount_over_limit"
    ]
    assert limits.check(inv(currency="CHF"), None, {"EUR": D("100")}) == []  # no limit for CHF
    credit = inv(amount_due=D("-500"))
    assert codes_of(limits.check(credit, None, {"EUR": D("100")})) == ["amount_over_limit"]
    no_due = inv(amount_due=None)
    assert codes_of(limits.check(no_due, None, {"EUR": D("150")})) == ["amount_over_limit"]  # total incl. VAT


# --- history: duplicates, resends, vendors ----------------------------------------------------------


def test_business_key_ignores_presentation_differences() -> None:
    xml = inv()
    pdf = inv(
        invoice_number=" r 100 ", seller=Party(name="MUSTER  GmbH.", vat_id="de 136 695 976"),
        amount_due=D("144.0"),
    )
    assert business_key(xml) == business_key(pdf) is not None
    assert business_key(inv(amount_due=D("144.01"))) != business_key(xml)
    assert business_key(inv(issue_date=date(2024, 3, 2))) != business_key(xml)
    assert business_key(inv(invoice_number="R-101")) != business_key(xml)
    assert business_key(inv(invoice_number=None)) is None
    assert business_key(inv(issue_date=None)) is None


def test_business_keys_match_across_a_copy_without_vat_id() -> None:
    full = business_keys(inv())
    name_only = business_keys(inv(seller=Party(name="Muster GmbH")))
    accented = business_keys(inv(seller=Party(name="Müster GmbH")))
    assert len(full) == 2 and len(name_only) == 1
    assert set(full) & set(name_only)
    assert set(accented) == set(business_keys(inv(seller=Party(name="muster gmbh"))))
    assert business_keys(inv(seller=Party())) == ()
    assert seller_identity(inv()) == "vat:DE136695976"
    assert seller_identity(inv(seller=Party(name="A & B Ltd"))) == "name:abltd"
    assert seller_identity(inv(seller=Party())) is None


def test_history_findings() -> None:
    known = ScoreContext(vendor_known=True)
    assert history.check("inv-1", None, known, True) == []
    assert codes_of(history.check("inv-1", None, ScoreContext(), True)) == ["new_vendor"]
    assert history.check("inv-1", None, ScoreContext(), False) == []
    assert codes_of(history.check("inv-1", None, ScoreContext(duplicate_of="inv-0", vendor_known=True), True)) == [
        "duplicate"
    ]
    resend = ScoreContext(exact_resend_of="inv-0", duplicate_of="inv-0", vendor_known=True)
    assert codes_of(history.check("inv-1", None, resend, True)) == ["duplicate_resend"]
    assert codes_of(history.check("inv-1", "inv-0", known, True)) == ["duplicate_resend"]
    assert codes_of(history.check("inv-1", None, known, True, routed_as_duplicate=True)) == ["duplicate_resend"]
    itself = ScoreContext(exact_resend_of="inv-1", duplicate_of="inv-1", vendor_known=True)
    assert history.check("inv-1", "inv-1", itself, True) == []  # a redelivered event is not its own duplicate
    changed = ScoreContext(vendor_known=True, vendor_iban_changed=True)
    assert codes_of(history.check("inv-1", None, changed, True)) == ["vendor_iban_changed"]


# --- confidence -------------------------------------------------------------------------------------

POLICY = TenantPolicy(
    field_weights={"amount_due": 3, "invoice_number": 3, "due_date": 1, "buyer.name": 1},
    critical_fields=("amount_due", "invoice_number"),
    required_fields=("amount_due", "invoice_number"),
    min_field_confidence=0.5,
)


def test_structured_values_without_reported_confidence_are_trusted() -> None:
    result = confidence.check(inv(), POLICY, structured=True)
    assert result.score == 1.0 and result.findings == ()
    assert confidence.check(inv(), POLICY, structured=False).score == 0.5


def test_the_least_sure_critical_field_caps_the_weighted_mean() -> None:
    unsure = inv(confidence={"amount_due": 0.6, "invoice_number": 1.0, "due_date": 1.0, "buyer.name": 1.0})
    assert confidence.check(unsure, POLICY, structured=False).score == pytest.approx(0.6)
    names = inv(confidence={"amount_due": 1.0, "invoice_number": 1.0, "due_date": 0.2, "buyer.name": 0.2})
    result = confidence.check(names, POLICY, structured=False)
    assert result.score == pytest.approx((3 + 3 + 0.2 + 0.2) / 8)
    assert [(f.code, f.field) for f in result.findings] == [
        ("low_confidence", "due_date"), ("low_confidence", "buyer.name")
    ]


def test_missing_optional_fields_are_neutral_and_missing_required_ones_count_zero() -> None:
    assert confidence.check(inv(due_date=None), POLICY, structured=True).score == 1.0
    result = confidence.check(inv(invoice_number=None), POLICY, structured=True)
    assert result.score == pytest.approx(5 / 8)


# --- the catalogue ----------------------------------------------------------------------------------


def test_every_code_has_a_spec_and_overridable_codes_are_listed_in_config() -> None:
    assert set(RULE_CODES) <= set(SPECS)
    fixed = {"not_invoice", "invalid_document", "unsupported_document", "extraction_failed", "credit_note",
             "duplicate", "duplicate_resend", "new_vendor", "vendor_iban_changed"}
    assert set(SPECS) == set(RULE_CODES) | fixed
    for spec in SPECS.values():
        assert spec.code.isidentifier() and spec.code == spec.code.lower()
        assert spec.message.endswith(".") and len(spec.message) <= 500
        assert 0.0 <= spec.penalty <= 1.0 and spec.group
        Reason(code=spec.code, message=spec.message)  # fits the contract
