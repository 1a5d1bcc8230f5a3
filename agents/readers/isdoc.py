"""Read a Czech ISDOC invoice (ISDOC 6, namespace ``http://isdoc.cz/namespace/2013``): the one-invoice XML of
the Czech ICT union, UBL-like in its element names but a syntax of its own.

Its root is ``Invoice``, as UBL's, so its registry entry comes before UBL's. DocumentType is ISDOC's own code
list (1 invoice, 2 credit note, 3 debit note, 4 advance invoice, 5 advance tax document, 6 its credit note,
7 simplified tax document); a code outside it is an unknown document.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from agents.readers._detection import XmlIdentity
from agents.readers._fields import Fields, Found
from agents.readers._invoice import account, invoice_from_fields, quantity_of, stated, tax_rows
from agents.readers._parties import AddressShape, PartyShape
from agents.readers._xpath import localname, parse_amount
from schemas import DocType, InvoiceData, LineItem

__all__ = ["is_isdoc", "isdoc_identity", "read_isdoc"]

_NAMESPACE = "http://isdoc.cz/namespace/"
_CODES = {"1": DocType.INVOICE, "2": DocType.CREDIT_NOTE, "3": DocType.DEBIT_NOTE, "4": DocType.INVOICE,
          "5": DocType.INVOICE, "6": DocType.CREDIT_NOTE, "7": DocType.INVOICE}

_DOCUMENT = Fields(
    type_code="DocumentType", invoice_number="ID", issue_date="IssueDate", currency="LocalCurrencyCode",
    seller="AccountingSupplierParty/Party", buyer="AccountingCustomerParty/Party",
    lines="InvoiceLines/InvoiceLine", subtotals="TaxTotal/TaxSubTotal", total_tax="TaxTotal/TaxAmount",
    monetary="LegalMonetaryTotal", payments="PaymentMeans/Payment/Details",
)
_PARTY = Fields(name="PartyName/Name", legal_id="PartyIdentification/ID", vat="PartyTaxScheme/CompanyID",
                address="PostalAddress")
_ADDRESS = Fields(street="StreetName", number="BuildingNumber", city="CityName", postcode="PostalZone",
                  country="Country/IdentificationCode")
_PARTIES = PartyShape(
    _PARTY,
    AddressShape(_ADDRESS, lambda a: (" ".join(p for p in (a.text("street"), a.text("number")) if p),)),
    name=lambda p: p.text("name"),
    vat_id=lambda p: p.text("vat"),
)
_LINE = Fields(line_id="ID", quantity_element="InvoicedQuantity", net_amount="LineExtensionAmount",
               unit_price="UnitPrice", tax_rate="ClassifiedTaxCategory/Percent", description="Item/Description")
_SUBTOTAL = Fields(taxable="TaxableAmount", tax="TaxAmount", rate="TaxCategory/Percent")
_MONETARY = Fields(total_net="TaxExclusiveAmount", total_incl_vat="TaxInclusiveAmount",
                   rounding="PayableRoundingAmount", amount_due="PayableAmount")
_PAYMENT = Fields(due_date="PaymentDueDate", iban="IBAN", bic="BIC")


def is_isdoc(root: etree._Element) -> bool:
    """Whether a parsed document is ISDOC: an ``Invoice`` root in an ISDOC namespace."""
    return localname(root) == "Invoice" and (etree.QName(root).namespace or "").startswith(_NAMESPACE)


def isdoc_identity(root: etree._Element) -> XmlIdentity:
    """What an ISDOC is: its DocumentType's meaning and the version the root declares."""
    code = _DOCUMENT.read(root).text("type_code")
    version = (root.get("version") or "").strip()
    return XmlIdentity(_CODES.get(code or "", DocType.UNKNOWN), code, f"isdoc-{version}" if version else "isdoc")


def _rate(subtotal: Found) -> tuple[str | None, Decimal | None]:
    return None, parse_amount(subtotal.text("rate"))


def read_isdoc(root: etree._Element, part: int = 1) -> InvoiceData:
    """Read the normalised invoice fields of a parsed ISDOC (`part` unused: one invoice a file)."""
    document = _DOCUMENT.read(root)
    payments = [_PAYMENT.read(n) for n in document.elements("payments")]
    fields: dict[str, object] = {
        **stated(document),
        **_PARTIES.parties(document),
        **account(payments),
        "due_date": next((d for p in payments if (d := stated(p).get("due_date")) is not None), None),
        "tax_breakdown": tax_rows(document.elements("subtotals"), _SUBTOTAL, _rate),
        "lines": tuple(
            LineItem(**stated(found, LineItem), **quantity_of(found.first("quantity_element")))
            for found in map(_LINE.read, document.elements("lines"))
        ),
        **stated(_MONETARY.read(document.first("monetary"))),
    }
    return invoice_from_fields(_CODES.get(document.text("type_code") or "", DocType.UNKNOWN), fields)
