"""Read a UBL Invoice, CreditNote or DebitNote (UBL 2.0/2.1, Peppol BIS 3, XRechnung UBL) exactly.

Everything is located by local name, so the reader serves every UBL version and any prefix binding. The
reader only walks the paths of the EN 16931 business terms: embedded attachments
(AdditionalDocumentReference/Attachment/EmbeddedDocumentBinaryObject) are never visited, let alone decoded.
Every value read from the XML gets confidence 1.0; a value that is absent stays None rather than guessed.

Each group of fields below is read from one node (the document, a party, a tax total, a line...) in one
walk (`Fields`); a node the reader takes the first of (the first party, the first postal address) is read
on its own, so a value is never taken from a second one.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from agents.readers._doctypes import doc_type_for
from agents.readers._en16931_terms import (
    DOCUMENT_TERMS,
    UBL_LINE_TERMS,
    UBL_PARTY_TERMS,
    UBL_SUBTOTAL_TERMS,
    Breakdown,
    CoreTerms,
    LineTerms,
    PartyTerms,
    breakdown,
    line_terms,
    ubl_charges,
    ubl_party,
)
from agents.readers._fields import Fields, Found
from agents.readers._invoice import invoice_from_fields
from agents.readers._xpath import localname, parse_amount, parse_date, path, text_at
from schemas import Address, InvoiceData, LineItem, Party, TaxSubtotal

__all__ = ["read_ubl", "read_ubl_terms", "ubl_type_code"]

_TYPE_CODE_NAMES = ("InvoiceTypeCode", "CreditNoteTypeCode", "DebitNoteTypeCode")  # in order of preference
_TYPE_CODES = tuple(path(name) for name in _TYPE_CODE_NAMES)
_LINE_NAMES = {"Invoice": "InvoiceLine", "CreditNote": "CreditNoteLine", "DebitNote": "DebitNoteLine"}
_MONETARY_NAMES = ("LegalMonetaryTotal", "RequestedMonetaryTotal")  # in order of preference

_DOCUMENT = Fields(
    **{name: name for name in (*_TYPE_CODE_NAMES, *_LINE_NAMES.values(), *_MONETARY_NAMES)},
    id="ID",
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
    postal="PostalAddress",
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
    id="ID",
    item_name="Item/Name",
    item_description="Item/Description",
    amount="LineExtensionAmount",
    price="Price/PriceAmount",
    rate="Item/ClassifiedTaxCategory/Percent",
    **UBL_LINE_TERMS,
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
_NO_PARTY = PartyTerms(name=None, identified=False, vat_ids=())


def ubl_type_code(root: etree._Element) -> str | None:
    """Return the UNTDID 1001 type code (BT-3) of a UBL document, if it states one."""
    for xpath in _TYPE_CODES:
        code = text_at(xpath, root)
        if code is not None:
            return code
    return None


def _party(node: etree._Element | None) -> tuple[Party, PartyTerms]:
    if node is None:
        return Party(), _NO_PARTY
    found = _PARTY.read(node)
    read = [_TAX_SCHEME.read(scheme) for scheme in found.elements("tax_schemes")]
    schemes = [(scheme.text("scheme_id"), scheme.text("company_id")) for scheme in read]
    vat_id = next((company_id for scheme_id, company_id in schemes
                   if company_id is not None and (scheme_id is None or scheme_id.upper() == "VAT")), None)
    registration_name, legal_id = found.text("registration_name"), found.text("legal_id")
    party = Party(
        name=registration_name or found.text("party_name"),
        vat_id=vat_id,
        legal_id=legal_id,
        address=_address(found.first("postal")),
    )
    return party, ubl_party(registration_name, schemes, legal_id, found.text("party_id"))


def _address(node: etree._Element | None) -> Address | None:
    if node is None:
        return None
    found = _ADDRESS.read(node)
    lines = [found.text("street"), found.text("additional_street")]
    lines.extend(" ".join(str(e.text).split()) for e in found.elements("address_lines") if e.text and e.text.strip())
    return Address(
        lines=tuple(line for line in lines if line),
        city=found.text("city"),
        postal_code=found.text("postcode"),
        country=found.text("country"),
    )


def _tax_total(totals: list[etree._Element], currency: str | None) -> Found | None:
    """Pick the TaxTotal of the document currency (BT-110), not the accounting-currency one (BT-111)."""
    if not totals:
        return None
    read = [_TAX_TOTAL.read(t) for t in totals]
    in_currency = [t for t in read if currency is None or t.text("currency") in (None, currency)]
    candidates = in_currency or read
    with_breakdown = [t for t in candidates if t.first("subtotals") is not None]
    return (with_breakdown or candidates)[0]


def _subtotals(tax_total: Found | None) -> tuple[tuple[TaxSubtotal, ...], tuple[Breakdown, ...]]:
    """The rows with both amounts (what the invoice keeps), and every row as stated (what EN 16931 judges)."""
    if tax_total is None:
        return (), ()
    rows = []
    stated = []
    for sub in tax_total.elements("subtotals"):
        found = _SUBTOTAL.read(sub)
        taxable = parse_amount(found.text("taxable"))
        tax = parse_amount(found.text("tax"))
        rate = parse_amount(found.text("category_percent") or found.text("percent"))
        stated.append(breakdown(found, taxable, tax, rate))
        if taxable is None or tax is None:
            continue
        rows.append(TaxSubtotal(category=found.text("category"), rate=rate, taxable_amount=taxable, tax_amount=tax))
    return tuple(rows), tuple(stated)


def _line(node: etree._Element) -> tuple[LineItem, LineTerms]:
    found = _LINE.read(node)
    quantity: Decimal | None = None
    unit: str | None = None
    for name in _QUANTITY_NAMES:
        element = found.first(name)
        if element is not None:
            quantity = parse_amount(element.text)
            unit = element.get("unitCode")
            break
    item_name = found.text("item_name")
    item = LineItem(
        line_id=found.text("id"),
        description=item_name or found.text("item_description"),
        quantity=quantity,
        unit=unit,
        unit_price=parse_amount(found.text("price")),
        net_amount=parse_amount(found.text("amount")),
        tax_rate=parse_amount(found.text("rate")),
    )
    return item, line_terms(item_name, found)


def _payment(means: list[etree._Element]) -> tuple[str | None, str | None]:
    for one in means:
        found = _PAYMENT_MEANS.read(one)
        iban = found.text("iban")
        if iban is not None:
            return iban.replace(" ", ""), found.text("bic") or found.text("bic_20")
    return None, None


def read_ubl(root: etree._Element) -> InvoiceData:
    """Read the normalised invoice fields out of a parsed UBL invoice-like document.

    Args:
        root: The root element (``Invoice``, ``CreditNote``, ``DebitNote``, ``SelfBilledCreditNote``...).

    Returns:
        The InvoiceData, every field present in the XML filled with confidence 1.0.
    """
    return read_ubl_terms(root)[0]


def read_ubl_terms(root: etree._Element) -> tuple[InvoiceData, CoreTerms]:
    """Read a UBL document as `read_ubl` does, with the EN 16931 terms the core check needs besides
    (`agents.readers._en16931_terms`), gathered in the same walk."""
    root_name = localname(root)
    document = _DOCUMENT.read(root)
    type_code = next((code for name in _TYPE_CODE_NAMES if (code := document.text(name)) is not None), None)
    currency = document.text("currency")
    iban, bic = _payment(document.elements("payment_means"))
    tax_total = _tax_total(document.elements("tax_totals"), currency)
    monetary = next((m for name in _MONETARY_NAMES if (m := document.first(name)) is not None), None)
    line_name = _LINE_NAMES.get(root_name.removeprefix("SelfBilled").removeprefix("Freight"), "InvoiceLine")
    seller, seller_terms = _party(document.first("seller"))
    buyer, buyer_terms = _party(document.first("buyer"))
    rows, breakdowns = _subtotals(tax_total)
    lines = [_line(node) for node in document.elements(line_name)]
    items, per_line = zip(*lines, strict=True) if lines else ((), ())

    fields: dict[str, object] = {
        "invoice_number": document.text("id"),
        "type_code": type_code,
        "issue_date": parse_date(document.text("issue_date")),
        "due_date": parse_date(document.text("due_date") or document.text("payment_due_date")),
        "currency": currency,
        "seller": seller,
        "buyer": buyer,
        "seller_iban": iban,
        "seller_bic": bic,
        "payment_terms": document.text("payment_terms"),
        "order_reference": document.text("order_reference"),
        "tax_breakdown": rows,
        "lines": items,
    }
    if monetary is not None:
        totals = _MONETARY.read(monetary)
        for name in _TOTALS:
            fields[name] = parse_amount(totals.text(name))
    if tax_total is not None:
        fields["total_tax"] = parse_amount(tax_total.text("amount"))
    charges = ubl_charges(document.elements("charges"))
    terms = CoreTerms(document.text("specification"), seller_terms, buyer_terms, per_line, charges, breakdowns)
    return invoice_from_fields(doc_type_for(root_name, type_code), fields), terms
