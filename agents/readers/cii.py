"""Read a UN/CEFACT Cross Industry Invoice exactly: CII D16B (Factur-X, ZUGFeRD 2, XRechnung CII) and the
older ZUGFeRD 1.0 CrossIndustryDocument.

The two generations name their containers differently (ExchangedDocument vs HeaderExchangedDocument,
ApplicableHeaderTradeSettlement vs ApplicableSupplyChainTradeSettlement...), so each path lists both
spellings as alternatives; matching is by local name, whatever the namespace URIs. Dates use UNTDID 2379
format 102 (``YYYYMMDD``). A value absent from the XML stays None, with one exception: ZUGFeRD 1.0 files may
omit DuePayableAmount, and then the amount due is the grand total less what was prepaid (EN 16931 BR-CO-16).

Each group of fields below is read from one node (the document, the transaction, a party, the settlement,
a line...) in one walk (`Fields`); a node the reader takes the first of (the first seller, the first
settlement of a line) is read on its own, so a value is never taken from a second one.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from agents.readers._doctypes import doc_type_for
from agents.readers._en16931_terms import (
    CII_LINE_TAX_TERMS,
    CII_PARTY_TERMS,
    CII_SETTLEMENT_TERMS,
    CII_TAX_TERMS,
    Breakdown,
    CoreTerms,
    LineTerms,
    PartyTerms,
    breakdown,
    cii_charges,
    cii_party,
    line_terms,
)
from agents.readers._fields import Fields
from agents.readers._invoice import invoice_from_fields
from agents.readers._xpath import localname, parse_amount, parse_date, path, text_at
from schemas import Address, InvoiceData, LineItem, Party, TaxSubtotal

__all__ = ["cii_type_code", "read_cii", "read_cii_terms"]

_TYPE_CODE_SPEC = "ExchangedDocument/TypeCode|HeaderExchangedDocument/TypeCode"
_TYPE_CODE = path(_TYPE_CODE_SPEC)

_DOCUMENT = Fields(
    specification="ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID"
    "|SpecifiedExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID",
    id="ExchangedDocument/ID|HeaderExchangedDocument/ID",
    type_code=_TYPE_CODE_SPEC,
    issue_date="ExchangedDocument/IssueDateTime/DateTimeString|HeaderExchangedDocument/IssueDateTime/DateTimeString",
    transaction="SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction",
)
_TRANSACTION = Fields(
    agreement="ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement",
    settlement="ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement",
    lines="IncludedSupplyChainTradeLineItem",
)
_AGREEMENT = Fields(
    seller="SellerTradeParty",
    buyer="BuyerTradeParty",
    order_reference="BuyerOrderReferencedDocument/IssuerAssignedID|BuyerOrderReferencedDocument/ID",
)
_PARTY = Fields(
    name="Name",
    legal_id="SpecifiedLegalOrganization/ID",
    tax_registrations="SpecifiedTaxRegistration/ID",
    postal="PostalTradeAddress",
    **CII_PARTY_TERMS,
)
_ADDRESS_LINES = ("LineOne", "LineTwo", "LineThree")
_ADDRESS = Fields(
    **{name: name for name in _ADDRESS_LINES}, city="CityName", postcode="PostcodeCode", country="CountryID"
)
_SETTLEMENT = Fields(
    currency="InvoiceCurrencyCode",
    payment_means="SpecifiedTradeSettlementPaymentMeans",
    terms="SpecifiedTradePaymentTerms/Description",
    due_date="SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString",
    taxes="ApplicableTradeTax",
    summation="SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation",
    **CII_SETTLEMENT_TERMS,
)
_PAYMENT_MEANS = Fields(
    iban="PayeePartyCreditorFinancialAccount/IBANID", bic="PayeeSpecifiedCreditorFinancialInstitution/BICID"
)
_RATE = "RateApplicablePercent|ApplicablePercent"
_TAX = Fields(calculated="CalculatedAmount", basis="BasisAmount", category="CategoryCode", rate=_RATE,
              **CII_TAX_TERMS)
_LINE_TAX = Fields(rate=_RATE, **CII_LINE_TAX_TERMS)
_LINE = Fields(
    line_id="AssociatedDocumentLineDocument/LineID",
    name="SpecifiedTradeProduct/Name",
    description="SpecifiedTradeProduct/Description",
    net_price="SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount"
    "|SpecifiedSupplyChainTradeAgreement/NetPriceProductTradePrice/ChargeAmount",
    quantity="SpecifiedLineTradeDelivery/BilledQuantity|SpecifiedSupplyChainTradeDelivery/BilledQuantity",
    settlement="SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement",
)
_LINE_SETTLEMENT = Fields(
    taxes="ApplicableTradeTax",
    total="SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount"
    "|SpecifiedTradeSettlementMonetarySummation/LineTotalAmount",
)
_TOTALS = {
    "line_net_total": "LineTotalAmount",
    "charge_total": "ChargeTotalAmount",
    "allowance_total": "AllowanceTotalAmount",
    "total_net": "TaxBasisTotalAmount",
    "rounding": "RoundingAmount",
    "total_incl_vat": "GrandTotalAmount",
    "prepaid": "TotalPrepaidAmount",
    "amount_due": "DuePayableAmount",
}
_SUMMATION = Fields(**_TOTALS, tax_total="TaxTotalAmount")
_NO_PARTY = PartyTerms(name=None, identified=False, vat_ids=())


def cii_type_code(root: etree._Element) -> str | None:
    """Return the UNTDID 1001 type code (BT-3) of a CII document, if it states one."""
    return text_at(_TYPE_CODE, root)


def _party(node: etree._Element | None) -> tuple[Party, PartyTerms]:
    if node is None:
        return Party(), _NO_PARTY
    found = _PARTY.read(node)
    vat_id = None
    fallback_tax_id = None
    for reg in found.elements("tax_registrations"):
        value = (reg.text or "").strip()
        if not value:
            continue
        if (reg.get("schemeID") or "").upper() == "VA":
            vat_id = value
            break
        fallback_tax_id = fallback_tax_id or value
    if vat_id is None and fallback_tax_id is not None and fallback_tax_id[:2].isalpha():
        vat_id = fallback_tax_id  # an unlabelled id with a country prefix is a VAT id, not a tax number
    name, legal_id = found.text("name"), found.text("legal_id")
    party = Party(name=name, vat_id=vat_id, legal_id=legal_id, address=_address(found.first("postal")))
    return party, cii_party(found, name, legal_id)


def _address(node: etree._Element | None) -> Address | None:
    if node is None:
        return None
    found = _ADDRESS.read(node)
    lines = (found.text(name) for name in _ADDRESS_LINES)
    return Address(
        lines=tuple(line for line in lines if line),
        city=found.text("city"),
        postal_code=found.text("postcode"),
        country=found.text("country"),
    )


def _tax_rows(taxes: list[etree._Element]) -> tuple[tuple[TaxSubtotal, ...], tuple[Breakdown, ...]]:
    """The rows with both amounts (what the invoice keeps), and every row as stated (what EN 16931 judges)."""
    rows = []
    stated = []
    for tax in taxes:
        found = _TAX.read(tax)
        amount = parse_amount(found.text("calculated"))
        basis = parse_amount(found.text("basis"))
        rate = parse_amount(found.text("rate"))
        stated.append(breakdown(found, basis, amount, rate))
        if amount is None or basis is None:
            continue
        rows.append(TaxSubtotal(category=found.text("category"), rate=rate, taxable_amount=basis, tax_amount=amount))
    return tuple(rows), tuple(stated)


def _tax_total(amounts: list[etree._Element], currency: str | None) -> Decimal | None:
    """BT-110 is the TaxTotalAmount in the invoice currency; a second one may be in the tax currency."""
    chosen = next((a for a in amounts if a.get("currencyID") in (None, currency)), None)
    if chosen is None and amounts:
        chosen = amounts[0]
    return None if chosen is None else parse_amount(chosen.text)


def _line(node: etree._Element) -> tuple[LineItem, LineTerms]:
    found = _LINE.read(node)
    quantity = found.first("quantity")
    settlement = _LINE_SETTLEMENT.read(found.first("settlement"))
    taxes = [_LINE_TAX.read(tax) for tax in settlement.elements("taxes")]
    rates = (parse_amount(tax.text("rate")) for tax in taxes)
    rate = next((r for r in rates if r is not None), None)
    name = found.text("name")
    item = LineItem(
        line_id=found.text("line_id"),
        description=name or found.text("description"),
        quantity=None if quantity is None else parse_amount(quantity.text),
        unit=None if quantity is None else quantity.get("unitCode"),
        unit_price=parse_amount(found.text("net_price")),
        net_amount=parse_amount(settlement.text("total")),
        tax_rate=rate,
    )
    return item, line_terms(name, taxes[0] if taxes else None)


def _payment(means: list[etree._Element]) -> tuple[str | None, str | None]:
    for one in means:
        found = _PAYMENT_MEANS.read(one)
        iban = found.text("iban")
        if iban is not None:
            return iban.replace(" ", ""), found.text("bic")
    return None, None


def read_cii(root: etree._Element) -> InvoiceData:
    """Read the normalised invoice fields out of a parsed CII document.

    Args:
        root: The root element (``CrossIndustryInvoice`` or ZUGFeRD 1.0 ``CrossIndustryDocument``).

    Returns:
        The InvoiceData, every field present in the XML filled with confidence 1.0.
    """
    return read_cii_terms(root)[0]


def read_cii_terms(root: etree._Element) -> tuple[InvoiceData, CoreTerms]:
    """Read a CII document as `read_cii` does, with the EN 16931 terms the core check needs besides
    (`agents.readers._en16931_terms`), gathered in the same walk."""
    document = _DOCUMENT.read(root)
    type_code = document.text("type_code")
    transaction = _TRANSACTION.read(document.first("transaction"))
    agreement = _AGREEMENT.read(transaction.first("agreement"))
    settlement = _SETTLEMENT.read(transaction.first("settlement"))
    currency = settlement.text("currency")
    iban, bic = _payment(settlement.elements("payment_means"))
    seller, seller_terms = _party(agreement.first("seller"))
    buyer, buyer_terms = _party(agreement.first("buyer"))
    rows, breakdowns = _tax_rows(settlement.elements("taxes"))
    lines = [_line(n) for n in transaction.elements("lines")]
    items, per_line = zip(*lines, strict=True) if lines else ((), ())
    fields: dict[str, object] = {
        "invoice_number": document.text("id"),
        "type_code": type_code,
        "issue_date": parse_date(document.text("issue_date")),
        "due_date": parse_date(settlement.text("due_date")),
        "currency": currency,
        "seller": seller,
        "buyer": buyer,
        "seller_iban": iban,
        "seller_bic": bic,
        "payment_terms": settlement.text("terms"),
        "order_reference": agreement.text("order_reference"),
        "tax_breakdown": rows,
        "lines": items,
    }
    summation_node = settlement.first("summation")
    if summation_node is not None:
        summation = _SUMMATION.read(summation_node)
        for name in _TOTALS:
            fields[name] = parse_amount(summation.text(name))
        fields["total_tax"] = _tax_total(summation.elements("tax_total"), currency)
        grand = fields.get("total_incl_vat")
        if fields.get("amount_due") is None and isinstance(grand, Decimal):
            prepaid = fields.get("prepaid")
            fields["amount_due"] = grand - (prepaid if isinstance(prepaid, Decimal) else Decimal(0))
    charges = cii_charges(settlement.elements("charges"))
    terms = CoreTerms(document.text("specification"), seller_terms, buyer_terms, per_line, charges, breakdowns)
    return invoice_from_fields(doc_type_for(localname(root), type_code), fields), terms
