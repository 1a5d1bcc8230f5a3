"""Read a UBL Invoice, CreditNote or DebitNote (UBL 2.0/2.1, Peppol BIS 3, XRechnung UBL) exactly.

Everything is located by local name, so the reader serves every UBL version and any prefix binding. The
reader only walks the paths of the EN 16931 business terms: embedded attachments
(AdditionalDocumentReference/Attachment/EmbeddedDocumentBinaryObject) are never visited, let alone decoded.
Every value read from the XML gets confidence 1.0; a value that is absent stays None rather than guessed.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from agents.readers._doctypes import doc_type_for
from agents.readers._invoice import invoice_from_fields
from agents.readers._xpath import children, first, localname, nodes, parse_amount, parse_date, path, text_at
from schemas import Address, InvoiceData, LineItem, Party, TaxSubtotal

__all__ = ["read_ubl", "ubl_type_code"]

_ID = path("ID")
_ISSUE_DATE = path("IssueDate")
_DUE_DATE = path("DueDate")
_PAYMENT_DUE_DATE = path("PaymentMeans/PaymentDueDate")
_TYPE_CODES = tuple(path(name) for name in ("InvoiceTypeCode", "CreditNoteTypeCode", "DebitNoteTypeCode"))
_CURRENCY = path("DocumentCurrencyCode")
_ORDER_REF = path("OrderReference/ID")
_PAYMENT_TERMS = path("PaymentTerms/Note")
_SELLER = path("AccountingSupplierParty/Party")
_BUYER = path("AccountingCustomerParty/Party")
_PAYMENT_MEANS = path("PaymentMeans")
_IBAN = path("PayeeFinancialAccount/ID")
_BIC = path("PayeeFinancialAccount/FinancialInstitutionBranch/ID")
_BIC_20 = path("PayeeFinancialAccount/FinancialInstitutionBranch/FinancialInstitution/ID")
_MONETARY = (path("LegalMonetaryTotal"), path("RequestedMonetaryTotal"))
_TAX_TOTAL = path("TaxTotal")
_AMOUNT_CURRENCY = path("TaxAmount/@currencyID")

# Party
_REG_NAME = path("PartyLegalEntity/RegistrationName")
_PARTY_NAME = path("PartyName/Name")
_TAX_SCHEME = path("PartyTaxScheme")
_TAX_SCHEME_ID = path("TaxScheme/ID")
_COMPANY_ID = path("CompanyID")
_LEGAL_ID = path("PartyLegalEntity/CompanyID")
_PARTY_ID = path("PartyIdentification/ID")
_POSTAL = path("PostalAddress")
_STREET = path("StreetName")
_ADDITIONAL_STREET = path("AdditionalStreetName")
_ADDRESS_LINE = path("AddressLine/Line")
_CITY = path("CityName")
_POSTCODE = path("PostalZone")
_COUNTRY = path("Country/IdentificationCode")

# Tax subtotal
_TAXABLE = path("TaxableAmount")
_TAX_AMOUNT = path("TaxAmount")
_CATEGORY = path("TaxCategory/ID")
_PERCENT = path("TaxCategory/Percent")
_SUBTOTAL_PERCENT = path("Percent")

# Line
_LINE_NAMES = {"Invoice": "InvoiceLine", "CreditNote": "CreditNoteLine", "DebitNote": "DebitNoteLine"}
_QUANTITY_NAMES = ("InvoicedQuantity", "CreditedQuantity", "DebitedQuantity")
_ITEM_NAME = path("Item/Name")
_ITEM_DESCRIPTION = path("Item/Description")
_LINE_AMOUNT = path("LineExtensionAmount")
_PRICE = path("Price/PriceAmount")
_BASE_QUANTITY = path("Price/BaseQuantity")
_LINE_RATE = path("Item/ClassifiedTaxCategory/Percent")

_TOTALS = {
    "line_net_total": path("LineExtensionAmount"),
    "allowance_total": path("AllowanceTotalAmount"),
    "charge_total": path("ChargeTotalAmount"),
    "total_net": path("TaxExclusiveAmount"),
    "total_incl_vat": path("TaxInclusiveAmount"),
    "prepaid": path("PrepaidAmount"),
    "rounding": path("PayableRoundingAmount"),
    "amount_due": path("PayableAmount"),
}


def ubl_type_code(root: etree._Element) -> str | None:
    """Return the UNTDID 1001 type code (BT-3) of a UBL document, if it states one."""
    for xpath in _TYPE_CODES:
        code = text_at(xpath, root)
        if code is not None:
            return code
    return None


def _party(node: etree._Element | None) -> Party:
    if node is None:
        return Party()
    vat_id = None
    for scheme in nodes(_TAX_SCHEME, node):
        scheme_id = text_at(_TAX_SCHEME_ID, scheme)
        company_id = text_at(_COMPANY_ID, scheme)
        if company_id is not None and (scheme_id is None or scheme_id.upper() == "VAT"):
            vat_id = company_id
            break
    return Party(
        name=text_at(_REG_NAME, node) or text_at(_PARTY_NAME, node),
        vat_id=vat_id,
        legal_id=text_at(_LEGAL_ID, node),
        address=_address(first(_POSTAL, node)),
    )


def _address(node: etree._Element | None) -> Address | None:
    if node is None:
        return None
    lines = [text_at(_STREET, node), text_at(_ADDITIONAL_STREET, node)]
    lines.extend(" ".join(str(e.text).split()) for e in nodes(_ADDRESS_LINE, node) if e.text and e.text.strip())
    return Address(
        lines=tuple(line for line in lines if line),
        city=text_at(_CITY, node),
        postal_code=text_at(_POSTCODE, node),
        country=text_at(_COUNTRY, node),
    )


def _tax_total(root: etree._Element, currency: str | None) -> etree._Element | None:
    """Pick the TaxTotal of the document currency (BT-110), not the accounting-currency one (BT-111)."""
    totals: list[etree._Element] = nodes(_TAX_TOTAL, root)
    if not totals:
        return None
    in_currency = [t for t in totals if currency is None or text_at(_AMOUNT_CURRENCY, t) in (None, currency)]
    candidates = in_currency or totals
    with_breakdown = [t for t in candidates if children(t, "TaxSubtotal")]
    return (with_breakdown or candidates)[0]


def _subtotals(tax_total: etree._Element | None) -> tuple[TaxSubtotal, ...]:
    if tax_total is None:
        return ()
    rows = []
    for sub in children(tax_total, "TaxSubtotal"):
        taxable = parse_amount(text_at(_TAXABLE, sub))
        tax = parse_amount(text_at(_TAX_AMOUNT, sub))
        if taxable is None or tax is None:
            continue
        rate = parse_amount(text_at(_PERCENT, sub) or text_at(_SUBTOTAL_PERCENT, sub))
        rows.append(TaxSubtotal(category=text_at(_CATEGORY, sub), rate=rate, taxable_amount=taxable, tax_amount=tax))
    return tuple(rows)


def _line(node: etree._Element) -> LineItem:
    quantity: Decimal | None = None
    unit: str | None = None
    for name in _QUANTITY_NAMES:
        found = children(node, name)
        if found:
            quantity = parse_amount(found[0].text)
            unit = found[0].get("unitCode")
            break
    return LineItem(
        line_id=text_at(_ID, node),
        description=text_at(_ITEM_NAME, node) or text_at(_ITEM_DESCRIPTION, node),
        quantity=quantity,
        unit=unit,
        unit_price=parse_amount(text_at(_PRICE, node)),
        net_amount=parse_amount(text_at(_LINE_AMOUNT, node)),
        tax_rate=parse_amount(text_at(_LINE_RATE, node)),
    )


def _payment(root: etree._Element) -> tuple[str | None, str | None]:
    for means in nodes(_PAYMENT_MEANS, root):
        iban = text_at(_IBAN, means)
        if iban is not None:
            return iban.replace(" ", ""), text_at(_BIC, means) or text_at(_BIC_20, means)
    return None, None


def read_ubl(root: etree._Element) -> InvoiceData:
    """Read the normalised invoice fields out of a parsed UBL invoice-like document.

    Args:
        root: The root element (``Invoice``, ``CreditNote``, ``DebitNote``, ``SelfBilledCreditNote``...).

    Returns:
        The InvoiceData, every field present in the XML filled with confidence 1.0.
    """
    root_name = localname(root)
    type_code = ubl_type_code(root)
    currency = text_at(_CURRENCY, root)
    iban, bic = _payment(root)
    tax_total = _tax_total(root, currency)
    monetary = next((m for xp in _MONETARY if (m := first(xp, root)) is not None), None)
    line_name = _LINE_NAMES.get(root_name.removeprefix("SelfBilled").removeprefix("Freight"), "InvoiceLine")

    fields: dict[str, object] = {
        "invoice_number": text_at(_ID, root),
        "type_code": type_code,
        "issue_date": parse_date(text_at(_ISSUE_DATE, root)),
        "due_date": parse_date(text_at(_DUE_DATE, root) or text_at(_PAYMENT_DUE_DATE, root)),
        "currency": currency,
        "seller": _party(first(_SELLER, root)),
        "buyer": _party(first(_BUYER, root)),
        "seller_iban": iban,
        "seller_bic": bic,
        "payment_terms": text_at(_PAYMENT_TERMS, root),
        "order_reference": text_at(_ORDER_REF, root),
        "tax_breakdown": _subtotals(tax_total),
        "lines": tuple(_line(node) for node in children(root, line_name)),
    }
    if monetary is not None:
        for name, xpath in _TOTALS.items():
            fields[name] = parse_amount(text_at(xpath, monetary))
    if tax_total is not None:
        fields["total_tax"] = parse_amount(text_at(_TAX_AMOUNT, tax_total))
    return invoice_from_fields(doc_type_for(root_name, type_code), fields)
