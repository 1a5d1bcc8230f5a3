"""Read a UN/CEFACT Cross Industry Invoice exactly: CII D16B (Factur-X, ZUGFeRD 2, XRechnung CII) and the
older ZUGFeRD 1.0 CrossIndustryDocument.

The two generations name their containers differently (ExchangedDocument vs HeaderExchangedDocument,
ApplicableHeaderTradeSettlement vs ApplicableSupplyChainTradeSettlement...), so each path lists both
spellings as alternatives; matching is by local name, whatever the namespace URIs. Dates use UNTDID 2379
format 102 (``YYYYMMDD``). A value absent from the XML stays None, with one exception: ZUGFeRD 1.0 files may
omit DuePayableAmount, and then the amount due is the grand total less what was prepaid (EN 16931 BR-CO-16).
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from agents.readers._doctypes import doc_type_for
from agents.readers._invoice import invoice_from_fields
from agents.readers._xpath import first, localname, nodes, parse_amount, parse_date, path, text_at
from schemas import Address, InvoiceData, LineItem, Party, TaxSubtotal

__all__ = ["cii_type_code", "read_cii"]

_ID = path("ExchangedDocument/ID|HeaderExchangedDocument/ID")
_TYPE_CODE = path("ExchangedDocument/TypeCode|HeaderExchangedDocument/TypeCode")
_ISSUE_DATE = path(
    "ExchangedDocument/IssueDateTime/DateTimeString|HeaderExchangedDocument/IssueDateTime/DateTimeString"
)
_TRANSACTION = path("SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction")
_AGREEMENT = path("ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement")
_SETTLEMENT = path("ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement")
_LINES = path("IncludedSupplyChainTradeLineItem")

# Agreement
_SELLER = path("SellerTradeParty")
_BUYER = path("BuyerTradeParty")
_ORDER_REF = path("BuyerOrderReferencedDocument/IssuerAssignedID|BuyerOrderReferencedDocument/ID")

# Party
_NAME = path("Name")
_LEGAL_ID = path("SpecifiedLegalOrganization/ID")
_TAX_REGISTRATION = path("SpecifiedTaxRegistration/ID")
_POSTAL = path("PostalTradeAddress")
_ADDRESS_LINES = tuple(path(name) for name in ("LineOne", "LineTwo", "LineThree"))
_CITY = path("CityName")
_POSTCODE = path("PostcodeCode")
_COUNTRY = path("CountryID")

# Settlement
_CURRENCY = path("InvoiceCurrencyCode")
_PAYMENT_MEANS = path("SpecifiedTradeSettlementPaymentMeans")
_IBAN = path("PayeePartyCreditorFinancialAccount/IBANID")
_BIC = path("PayeeSpecifiedCreditorFinancialInstitution/BICID")
_TERMS_TEXT = path("SpecifiedTradePaymentTerms/Description")
_DUE_DATE = path("SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString")
_TRADE_TAX = path("ApplicableTradeTax")
_SUMMATION = path("SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation")
_TAX_TOTAL = path("TaxTotalAmount")

# Tax row
_CALCULATED = path("CalculatedAmount")
_BASIS = path("BasisAmount")
_CATEGORY = path("CategoryCode")
_RATE = path("RateApplicablePercent|ApplicablePercent")

# Line
_LINE_ID = path("AssociatedDocumentLineDocument/LineID")
_PRODUCT_NAME = path("SpecifiedTradeProduct/Name")
_PRODUCT_DESCRIPTION = path("SpecifiedTradeProduct/Description")
_NET_PRICE = path(
    "SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount"
    "|SpecifiedSupplyChainTradeAgreement/NetPriceProductTradePrice/ChargeAmount"
)
_QUANTITY = path("SpecifiedLineTradeDelivery/BilledQuantity|SpecifiedSupplyChainTradeDelivery/BilledQuantity")
_LINE_SETTLEMENT = path("SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement")
_LINE_TOTAL = path(
    "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount"
    "|SpecifiedTradeSettlementMonetarySummation/LineTotalAmount"
)

_TOTALS = {
    "line_net_total": path("LineTotalAmount"),
    "charge_total": path("ChargeTotalAmount"),
    "allowance_total": path("AllowanceTotalAmount"),
    "total_net": path("TaxBasisTotalAmount"),
    "rounding": path("RoundingAmount"),
    "total_incl_vat": path("GrandTotalAmount"),
    "prepaid": path("TotalPrepaidAmount"),
    "amount_due": path("DuePayableAmount"),
}


def cii_type_code(root: etree._Element) -> str | None:
    """Return the UNTDID 1001 type code (BT-3) of a CII document, if it states one."""
    return text_at(_TYPE_CODE, root)


def _party(node: etree._Element | None) -> Party:
    if node is None:
        return Party()
    vat_id = None
    fallback_tax_id = None
    for reg in nodes(_TAX_REGISTRATION, node):
        value = (reg.text or "").strip()
        if not value:
            continue
        if (reg.get("schemeID") or "").upper() == "VA":
            vat_id = value
            break
        fallback_tax_id = fallback_tax_id or value
    if vat_id is None and fallback_tax_id is not None and fallback_tax_id[:2].isalpha():
        vat_id = fallback_tax_id  # an unlabelled id with a country prefix is a VAT id, not a tax number
    return Party(
        name=text_at(_NAME, node),
        vat_id=vat_id,
        legal_id=text_at(_LEGAL_ID, node),
        address=_address(first(_POSTAL, node)),
    )


def _address(node: etree._Element | None) -> Address | None:
    if node is None:
        return None
    lines = (text_at(xpath, node) for xpath in _ADDRESS_LINES)
    return Address(
        lines=tuple(line for line in lines if line),
        city=text_at(_CITY, node),
        postal_code=text_at(_POSTCODE, node),
        country=text_at(_COUNTRY, node),
    )


def _tax_rows(settlement: etree._Element | None) -> tuple[TaxSubtotal, ...]:
    if settlement is None:
        return ()
    rows = []
    for tax in nodes(_TRADE_TAX, settlement):
        amount = parse_amount(text_at(_CALCULATED, tax))
        basis = parse_amount(text_at(_BASIS, tax))
        if amount is None or basis is None:
            continue
        rows.append(
            TaxSubtotal(
                category=text_at(_CATEGORY, tax),
                rate=parse_amount(text_at(_RATE, tax)),
                taxable_amount=basis,
                tax_amount=amount,
            )
        )
    return tuple(rows)


def _tax_total(summation: etree._Element, currency: str | None) -> Decimal | None:
    """BT-110 is the TaxTotalAmount in the invoice currency; a second one may be in the tax currency."""
    amounts: list[etree._Element] = nodes(_TAX_TOTAL, summation)
    chosen = next((a for a in amounts if a.get("currencyID") in (None, currency)), None)
    if chosen is None and amounts:
        chosen = amounts[0]
    return None if chosen is None else parse_amount(chosen.text)


def _line(node: etree._Element) -> LineItem:
    quantity = first(_QUANTITY, node)
    settlement = first(_LINE_SETTLEMENT, node)
    rates = (parse_amount(text_at(_RATE, tax)) for tax in nodes(_TRADE_TAX, settlement))
    rate = next((r for r in rates if r is not None), None)
    return LineItem(
        line_id=text_at(_LINE_ID, node),
        description=text_at(_PRODUCT_NAME, node) or text_at(_PRODUCT_DESCRIPTION, node),
        quantity=None if quantity is None else parse_amount(quantity.text),
        unit=None if quantity is None else quantity.get("unitCode"),
        unit_price=parse_amount(text_at(_NET_PRICE, node)),
        net_amount=None if settlement is None else parse_amount(text_at(_LINE_TOTAL, settlement)),
        tax_rate=rate,
    )


def _payment(settlement: etree._Element | None) -> tuple[str | None, str | None]:
    if settlement is None:
        return None, None
    for means in nodes(_PAYMENT_MEANS, settlement):
        iban = text_at(_IBAN, means)
        if iban is not None:
            return iban.replace(" ", ""), text_at(_BIC, means)
    return None, None


def read_cii(root: etree._Element) -> InvoiceData:
    """Read the normalised invoice fields out of a parsed CII document.

    Args:
        root: The root element (``CrossIndustryInvoice`` or ZUGFeRD 1.0 ``CrossIndustryDocument``).

    Returns:
        The InvoiceData, every field present in the XML filled with confidence 1.0.
    """
    type_code = cii_type_code(root)
    transaction = first(_TRANSACTION, root)
    agreement = None if transaction is None else first(_AGREEMENT, transaction)
    settlement = None if transaction is None else first(_SETTLEMENT, transaction)
    currency = text_at(_CURRENCY, settlement)
    iban, bic = _payment(settlement)
    fields: dict[str, object] = {
        "invoice_number": text_at(_ID, root),
        "type_code": type_code,
        "issue_date": parse_date(text_at(_ISSUE_DATE, root)),
        "due_date": parse_date(text_at(_DUE_DATE, settlement)),
        "currency": currency,
        "seller": _party(None if agreement is None else first(_SELLER, agreement)),
        "buyer": _party(None if agreement is None else first(_BUYER, agreement)),
        "seller_iban": iban,
        "seller_bic": bic,
        "payment_terms": text_at(_TERMS_TEXT, settlement),
        "order_reference": text_at(_ORDER_REF, agreement),
        "tax_breakdown": _tax_rows(settlement),
        "lines": () if transaction is None else tuple(_line(n) for n in nodes(_LINES, transaction)),
    }
    summation = None if settlement is None else first(_SUMMATION, settlement)
    if summation is not None:
        for name, xpath in _TOTALS.items():
            fields[name] = parse_amount(text_at(xpath, summation))
        fields["total_tax"] = _tax_total(summation, currency)
        grand = fields.get("total_incl_vat")
        if fields.get("amount_due") is None and isinstance(grand, Decimal):
            prepaid = fields.get("prepaid")
            fields["amount_due"] = grand - (prepaid if isinstance(prepaid, Decimal) else Decimal(0))
    return invoice_from_fields(doc_type_for(localname(root), type_code), fields)
