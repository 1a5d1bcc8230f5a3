"""Read a UBL Invoice, CreditNote or DebitNote (UBL 2.0/2.1, Peppol BIS 3, XRechnung UBL) exactly.

Everything is located by local name, so the reader serves every UBL version and any prefix binding. The
reader only walks the paths of the EN 16931 business terms: embedded attachments
(AdditionalDocumentReference/Attachment/EmbeddedDocumentBinaryObject) are never visited, let alone decoded.
Every value read from the XML gets confidence 1.0; a value that is absent stays None rather than guessed.

Each group of fields below is read from one node (the document, a party, a tax total, a line...) in one
walk (`Fields`); a field named after a field of the contract is that field's value (`_invoice.stated`). A
node the reader takes the first of (the first party, the first postal address) is read on its own, so a
value is never taken from a second one.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from agents.readers._detection import XmlIdentity
from agents.readers._doctypes import UBL_INVOICE_ROOTS, doc_type_for
from agents.readers._en16931_terms import (
    DOCUMENT_TERMS,
    UBL_LINE_TERMS,
    UBL_PARTY_TERMS,
    UBL_SUBTOTAL_TERMS,
    Breakdown,
    CoreTerms,
    LineTerms,
    PartyTerms,
    line_terms,
    ubl_charges,
    ubl_party,
)
from agents.readers._fields import Fields, Found
from agents.readers._invoice import account, invoice_from_fields, quantity_of, stated, tax_rows
from agents.readers._parties import AddressShape, PartyShape
from agents.readers._xpath import localname, parse_amount, parse_date, path, text_at
from schemas import InvoiceData, LineItem, TaxSubtotal

__all__ = ["is_ubl", "read_ubl", "read_ubl_terms", "ubl_identity", "ubl_type_code"]

_TYPE_CODE_NAMES = ("InvoiceTypeCode", "CreditNoteTypeCode", "DebitNoteTypeCode")  # in order of preference
_TYPE_CODES = tuple(path(name) for name in _TYPE_CODE_NAMES)
_LINE_NAMES = {"Invoice": "InvoiceLine", "CreditNote": "CreditNoteLine", "DebitNote": "DebitNoteLine"}
_MONETARY_NAMES = ("LegalMonetaryTotal", "RequestedMonetaryTotal")  # in order of preference

_DOCUMENT = Fields(
    **{name: name for name in (*_TYPE_CODE_NAMES, *_LINE_NAMES.values(), *_MONETARY_NAMES)},
    invoice_number="ID",
    issue_date="IssueDate",
    due_date="DueDate",
    payment_due_date="PaymentMeans/PaymentDueDate",
    currency="DocumentCurrencyCode",
    order_reference="OrderReference/ID",
    payment_terms="PaymentTerms/Note",
    seller="AccountingSupplierParty/Party",
    buyer="AccountingCustomerParty/Party",
    payment_means="PaymentMeans",
    tax_totals="TaxTotal",
    **DOCUMENT_TERMS,
)
_PAYMENT_MEANS = Fields(
    iban="PayeeFinancialAccount/ID",
    bic="PayeeFinancialAccount/FinancialInstitutionBranch/ID",
    bic_20="PayeeFinancialAccount/FinancialInstitutionBranch/FinancialInstitution/ID",
)
_TAX_TOTAL = Fields(currency="TaxAmount/@currencyID", subtotals="TaxSubtotal", amount="TaxAmount")
_SUBTOTAL = Fields(
    taxable="TaxableAmount",
    tax="TaxAmount",
    category="TaxCategory/ID",
    category_percent="TaxCategory/Percent",
    percent="Percent",
    **UBL_SUBTOTAL_TERMS,
)
_PARTY = Fields(
    registration_name="PartyLegalEntity/RegistrationName",
    party_name="PartyName/Name",
    tax_schemes="PartyTaxScheme",
    legal_id="PartyLegalEntity/CompanyID",
    address="PostalAddress",
    **UBL_PARTY_TERMS,
)
_TAX_SCHEME = Fields(scheme_id="TaxScheme/ID", company_id="CompanyID")
_ADDRESS = Fields(
    street="StreetName",
    additional_street="AdditionalStreetName",
    address_lines="AddressLine/Line",
    city="CityName",
    postcode="PostalZone",
    country="Country/IdentificationCode",
)
_QUANTITY_NAMES = ("InvoicedQuantity", "CreditedQuantity", "DebitedQuantity")
_LINE = Fields(
    **{name: name for name in _QUANTITY_NAMES},
    line_id="ID", item_name="Item/Name", item_description="Item/Description", net_amount="LineExtensionAmount",
    unit_price="Price/PriceAmount", tax_rate="Item/ClassifiedTaxCategory/Percent", **UBL_LINE_TERMS,
)
_TOTALS = {
    "line_net_total": "LineExtensionAmount",
    "allowance_total": "AllowanceTotalAmount",
    "charge_total": "ChargeTotalAmount",
    "total_net": "TaxExclusiveAmount",
    "total_incl_vat": "TaxInclusiveAmount",
    "prepaid": "PrepaidAmount",
    "rounding": "PayableRoundingAmount",
    "amount_due": "PayableAmount",
}
_MONETARY = Fields(**_TOTALS)


def _schemes(party: Found) -> list[tuple[str | None, str | None]]:
    """The party's PartyTaxSchemes as (scheme id, company id) pairs."""
    return [(found.text("scheme_id"), found.text("company_id")) for found in map(_TAX_SCHEME.read,
                                                                              party.elements("tax_schemes"))]


def _vat_id(party: Found) -> str | None:
    """The CompanyID of the first tax scheme that is VAT (or names no scheme)."""
    return next((company_id for scheme_id, company_id in _schemes(party)
                 if company_id is not None and (scheme_id is None or scheme_id.upper() == "VAT")), None)


def _name(party: Found) -> str | None:
    return party.text("registration_name") or party.text("party_name")


def _street_lines(address: Found) -> list[str | None]:
    lines = [address.text("street"), address.text("additional_street")]
    lines.extend(" ".join(str(e.text).split()) for e in address.elements("address_lines") if e.text and e.text.strip())
    return lines


_PARTIES = PartyShape(_PARTY, AddressShape(_ADDRESS, _street_lines), _name, _vat_id)
_NO_PARTY = PartyTerms(name=None, identified=False, vat_ids=())


def _party_terms(party: Found | None) -> PartyTerms:
    """The party's EN 16931 terms, from the reader's walk of it."""
    if party is None:
        return _NO_PARTY
    return ubl_party(party.text("registration_name"), _schemes(party), party.text("legal_id"), party.text("party_id"))


_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:"
_VERSION = path("UBLVersionID")
_SHAPE = path("IssueDate")


def ubl_type_code(root: etree._Element) -> str | None:
    """Return the UNTDID 1001 type code (BT-3) of a UBL document, if it states one."""
    for xpath in _TYPE_CODES:
        code = text_at(xpath, root)
        if code is not None:
            return code
    return None


def is_ubl(root: etree._Element) -> bool:
    """Whether a parsed document is UBL: any document in a UBL namespace, or an invoice-like root with a UBL
    IssueDate in none (some senders drop the namespace)."""
    if (etree.QName(root).namespace or "").startswith(_NAMESPACE):
        return True
    return localname(root) in UBL_INVOICE_ROOTS and bool(_SHAPE(root))


def ubl_identity(root: etree._Element) -> XmlIdentity:
    """What a UBL document is: its doc type, type code (invoice-like roots only) and syntax (``ubl-<version>``)."""
    name = localname(root)
    code = ubl_type_code(root) if name in UBL_INVOICE_ROOTS else None
    version = text_at(_VERSION, root)
    return XmlIdentity(doc_type_for(name, code), code, f"ubl-{version}" if version else "ubl")


def _tax_total(totals: list[etree._Element], currency: str | None) -> Found | None:
    """Pick the TaxTotal of the document currency (BT-110), not the accounting-currency one (BT-111)."""
    if not totals:
        return None
    read = [_TAX_TOTAL.read(t) for t in totals]
    in_currency = [t for t in read if currency is None or t.text("currency") in (None, currency)]
    candidates = in_currency or read
    with_breakdown = [t for t in candidates if t.first("subtotals") is not None]
    return (with_breakdown or candidates)[0]


def _category_and_rate(subtotal: Found) -> tuple[str | None, Decimal | None]:
    return subtotal.text("category"), parse_amount(subtotal.text("category_percent") or subtotal.text("percent"))


def _subtotals(tax_total: Found | None, as_stated: list[Breakdown]) -> tuple[TaxSubtotal, ...]:
    if tax_total is None:
        return ()
    return tax_rows(tax_total.elements("subtotals"), _SUBTOTAL, _category_and_rate, as_stated)


def _line(node: etree._Element) -> tuple[LineItem, LineTerms]:
    found = _LINE.read(node)
    quantity = None
    for name in _QUANTITY_NAMES:
        quantity = found.first(name)
        if quantity is not None:
            break
    item = LineItem(
        line_id=found.text("line_id"),
        description=(item_name := found.text("item_name")) or found.text("item_description"),
        unit_price=parse_amount(found.text("unit_price")),
        net_amount=parse_amount(found.text("net_amount")),
        tax_rate=parse_amount(found.text("tax_rate")),
        **quantity_of(quantity),
    )
    return item, line_terms(item_name, found)


def read_ubl(root: etree._Element, part: int = 1) -> InvoiceData:
    """Read the normalised invoice fields out of a parsed UBL invoice-like document.

    Args:
        root: The root element (``Invoice``, ``CreditNote``, ``DebitNote``, ``SelfBilledCreditNote``...).
        part: Unused: a UBL file holds one invoice (the readers share one signature).

    Returns:
        The InvoiceData, every field present in the XML filled with confidence 1.0.
    """
    return read_ubl_terms(root)[0]


def read_ubl_terms(root: etree._Element, part: int = 1) -> tuple[InvoiceData, CoreTerms]:
    """Read a UBL document as `read_ubl` does, with the EN 16931 terms the core check needs besides
    (`agents.readers._en16931_terms`), gathered in the same walk."""
    root_name = localname(root)
    document = _DOCUMENT.read(root)
    type_code = next((code for name in _TYPE_CODE_NAMES if (code := document.text(name)) is not None), None)
    tax_total = _tax_total(document.elements("tax_totals"), document.text("currency"))
    monetary = next((m for name in _MONETARY_NAMES if (m := document.first(name)) is not None), None)
    line_name = _LINE_NAMES.get(root_name.removeprefix("SelfBilled").removeprefix("Freight"), "InvoiceLine")
    seller, seller_found = _PARTIES.read_found(document.first("seller"))
    buyer, buyer_found = _PARTIES.read_found(document.first("buyer"))
    breakdowns: list[Breakdown] = []
    lines = [_line(node) for node in document.elements(line_name)]
    items, per_line = zip(*lines, strict=True) if lines else ((), ())
    fields: dict[str, object] = {
        **stated(document),
        "type_code": type_code,
        "due_date": parse_date(document.text("due_date") or document.text("payment_due_date")),
        "seller": seller,
        "buyer": buyer,
        **account(map(_PAYMENT_MEANS.read, document.elements("payment_means")), ("bic", "bic_20")),
        "tax_breakdown": _subtotals(tax_total, breakdowns),
        "lines": items,
    }
    if monetary is not None:
        fields.update(stated(_MONETARY.read(monetary)))
    if tax_total is not None:
        fields["total_tax"] = parse_amount(tax_total.text("amount"))
    terms = CoreTerms(document.text("specification"), _party_terms(seller_found), _party_terms(buyer_found),
                      per_line, ubl_charges(document.elements("charges")), tuple(breakdowns))
    return invoice_from_fields(doc_type_for(root_name, type_code), fields), terms
