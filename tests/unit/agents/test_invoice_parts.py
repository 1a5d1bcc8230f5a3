"""What the structured readers assemble alike (`_invoice`, `_parties`): values by the contract's field names and
types, the account, VAT rows, parties and addresses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from agents.readers._fields import Fields, Found
from agents.readers._invoice import account, quantity_of, stated, tax_rows
from agents.readers._parties import AddressShape, PartyShape
from schemas import Address, LineItem, Party, TaxSubtotal

DOC = etree.fromstring(
    b"<D><No>A-1</No><When>20260102</When><Due> 12.50 </Due><Part><Q unitCode='HUR'>3</Q></Part>"
    b"<Pay><IBAN>DE02 1203 0000 0000 2020 51</IBAN><BIC>BYLADEM1001</BIC></Pay>"
    b"<Tax><Base>100</Base><Amount>19</Amount><Rate>19</Rate></Tax><Tax><Base>5</Base></Tax>"
    b"<P><N>Seller GmbH</N><V>DE123</V><Where><Street>Hauptstr. 1</Street><Town>Berlin</Town></Where></P></D>"
)


def test_a_field_named_after_the_contract_is_its_value_typed_as_the_contract_types_it() -> None:
    found = Fields(issue_date="When", invoice_number="No", amount_due="Due", lines="Part", missing_date="Nope",
                   due_date="Nope").read(DOC)
    values = stated(found)
    assert values == {"issue_date": date(2026, 1, 2), "invoice_number": "A-1", "amount_due": Decimal("12.50"),
                      "due_date": None}
    assert list(values) == ["issue_date", "invoice_number", "amount_due", "due_date"]  # the table's order
    line = Fields(quantity="Part/Q", unit="Part/Q/@unitCode", description="No").read(DOC)
    assert stated(line, LineItem) == {"quantity": Decimal(3), "unit": "HUR", "description": "A-1"}


def test_a_quantity_element_gives_quantity_and_unit() -> None:
    assert quantity_of(DOC.find("Part/Q")) == {"quantity": Decimal(3), "unit": "HUR"}
    assert quantity_of(None) == {"quantity": None, "unit": None}


def test_the_account_is_the_first_payment_means_with_an_iban() -> None:
    means = Fields(iban="IBAN", bic="BIC", other_bic="Nope")
    empty: list[Found] = [means.read(None)]
    assert account([*empty, means.read(DOC.find("Pay"))], ("other_bic", "bic")) == {
        "seller_iban": "DE02120300000000202051", "seller_bic": "BYLADEM1001"}
    assert account(empty) == {"seller_iban": None, "seller_bic": None}


def test_a_vat_row_needs_both_amounts() -> None:
    rows = tax_rows(DOC.findall("Tax"), Fields(taxable="Base", tax="Amount", rate="Rate"),
                    lambda found: ("S", Decimal(found.text("rate") or "0")))
    assert rows == (TaxSubtotal(category="S", rate=Decimal(19), taxable_amount=Decimal(100), tax_amount=Decimal(19)),)


def test_a_party_is_built_from_its_shape_and_no_node_is_an_empty_party() -> None:
    shape = PartyShape(
        Fields(name="N", vat="V", legal_id="L", address="Where"),
        AddressShape(Fields(street="Street", city="Town", postcode="Zip", country="C"),
                     lambda found: (found.text("street"), None, "")),
        name=lambda found: found.text("name"),
        vat_id=lambda found: found.text("vat"),
    )
    assert shape.read(DOC.find("P")) == Party(
        name="Seller GmbH", vat_id="DE123", address=Address(lines=("Hauptstr. 1",), city="Berlin"))
    assert shape.read(None) == Party()
    assert shape.parties(Fields(seller="P", buyer="Nobody").read(DOC)) == {
        "seller": shape.read(DOC.find("P")), "buyer": Party()}
