"""Read a UN/CEFACT Cross Industry Invoice exactly: CII D16B (Factur-X, ZUGFeRD 2, XRechnung CII) and the
older ZUGFeRD 1.0 CrossIndustryDocument.

The two generations name their containers differently (ExchangedDocument vs HeaderExchangedDocument,
ApplicableHeaderTradeSettlement vs ApplicableSupplyChainTradeSettlement...), so each path lists both
spellings as alternatives; matching is by local name, whatever the namespace URIs. Dates use UNTDID 2379
format 102 (``YYYYMMDD``). A value absent from the XML stays None, with one exception: ZUGFeRD 1.0 files may
omit DuePayableAmount, and then the amount due is the grand total less what was prepaid (EN 16931 BR-CO-16).

Each group of fields below is read from one node (the document, the transaction, a party, the settlement,
a line...) in one walk (`Fields`); a field named after a field of the contract is that field's value
(`_invoice.stated`). A node the reader takes the first of (the first seller, the first settlement of a line)
is read on its own, so a value is never taken from a second one.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from agents.readers._detection import XmlIdentity
from agents.readers._doctypes import CII_ROOTS, ORDER_X_ROOT, doc_type_for, order_x_doc_type
from agents.readers._en16931_terms import (
    CII_LINE_TAX_TERMS,
    CII_PARTY_TERMS,
    CII_SETTLEMENT_TERMS,
    CII_TAX_TERMS,
    Breakdown,
    CoreTerms,
    LineTerms,
    PartyTerms,
    cii_charges,
    cii_party,
    line_terms,
)
from agents.readers._fields import Fields, Found
from agents.readers._invoice import account, invoice_from_fields, quantity_of, stated, tax_rows
from agents.readers._parties import AddressShape, PartyShape
from agents.readers._xpath import localname, parse_amount, path, text_at
from schemas import InvoiceData, LineItem

__all__ = ["cii_identity", "cii_type_code", "is_cii", "read_cii", "read_cii_terms"]

_TYPE_CODE_SPEC = "ExchangedDocument/TypeCode|HeaderExchangedDocument/TypeCode"
_TYPE_CODE = path(_TYPE_CODE_SPEC)

_DOCUMENT = Fields(
    specification="ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID"
    "|SpecifiedExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID",
    invoice_number="ExchangedDocument/ID|HeaderExchangedDocument/ID",
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
    address="PostalTradeAddress",
    **CII_PARTY_TERMS,
)
_ADDRESS_LINES = ("LineOne", "LineTwo", "LineThree")
_ADDRESS = Fields(
    **{name: name for name in _ADDRESS_LINES}, city="CityName", postcode="PostcodeCode", country="CountryID"
)
_SETTLEMENT = Fields(
    currency="InvoiceCurrencyCode",
    payment_means="SpecifiedTradeSettlementPaymentMeans",
    payment_terms="SpecifiedTradePaymentTerms/Description",
    due_date="SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString",
    taxes="ApplicableTradeTax",
    summation="SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation",
    **CII_SETTLEMENT_TERMS,
)
_PAYMENT_MEANS = Fields(
    iban="PayeePartyCreditorFinancialAccount/IBANID", bic="PayeeSpecifiedCreditorFinancialInstitution/BICID"
)
_RATE = "RateApplicablePercent|ApplicablePercent"
_TAX = Fields(tax="CalculatedAmount", taxable="BasisAmount", category="CategoryCode", rate=_RATE, **CII_TAX_TERMS)
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


_ZUGFERD_RC_TAG = "{urn:un:unece:uncefact:data:standard:CBFBUY:5}"  # how lxml spells the namespace in a tag


def cii_type_code(root: etree._Element) -> str | None:
    """Return the UNTDID 1001 type code (BT-3) of a CII document, if it states one."""
    return text_at(_TYPE_CODE, root)


def _is_zugferd_rc(root: etree._Element) -> bool:
    tag = root.tag
    return isinstance(tag, str) and tag.startswith(_ZUGFERD_RC_TAG)


def is_cii(root: etree._Element) -> bool:
    """Whether a parsed document is CII: an invoice (D16B or ZUGFeRD 1.0), an Order-X message, or a ZUGFeRD
    release candidate (root ``Invoice`` in the ``CBFBUY:5`` namespace)."""
    name = localname(root)
    return name in CII_ROOTS or name == ORDER_X_ROOT or _is_zugferd_rc(root)


def cii_identity(root: etree._Element) -> XmlIdentity:
    """What a CII document is: its doc type, type code and syntax (``cii-d16b``, ``zugferd-1.0``, ``order-x``
    or ``zugferd-rc``)."""
    name = localname(root)
    code = cii_type_code(root)
    if name in CII_ROOTS:
        syntax = "zugferd-1.0" if name == "CrossIndustryDocument" else "cii-d16b"
        return XmlIdentity(doc_type_for(name, code), code, syntax)
    if name == ORDER_X_ROOT:
        return XmlIdentity(order_x_doc_type(code), code, "order-x")
    return XmlIdentity(doc_type_for(name, code), code, "zugferd-rc")


def _vat_id(party: Found) -> str | None:
    """The registration labelled VA; failing one, an unlabelled id with a country prefix (not a tax number)."""
    fallback_tax_id = None
    for reg in party.elements("tax_registrations"):
        value = (reg.text or "").strip()
        if not value:
            continue
        if (reg.get("schemeID") or "").upper() == "VA":
            return value
        fallback_tax_id = fallback_tax_id or value
    if fallback_tax_id is not None and fallback_tax_id[:2].isalpha():
        return fallback_tax_id
    return None


_PARTIES = PartyShape(
    _PARTY,
    AddressShape(_ADDRESS, lambda found: (found.text(name) for name in _ADDRESS_LINES)),
    name=lambda found: found.text("name"),
    vat_id=_vat_id,
)
_NO_PARTY = PartyTerms(name=None, identified=False, vat_ids=())


def _party_terms(party: Found | None) -> PartyTerms:
    """The party's EN 16931 terms, from the reader's walk of it."""
    return _NO_PARTY if party is None else cii_party(party, party.text("name"), party.text("legal_id"))


def _category_and_rate(tax: Found) -> tuple[str | None, Decimal | None]:
    return tax.text("category"), parse_amount(tax.text("rate"))


def _tax_total(amounts: list[etree._Element], currency: str | None) -> Decimal | None:
    """BT-110 is the TaxTotalAmount in the invoice currency; a second one may be in the tax currency."""
    chosen = next((a for a in amounts if a.get("currencyID") in (None, currency)), None)
    if chosen is None and amounts:
        chosen = amounts[0]
    return None if chosen is None else parse_amount(chosen.text)


def _line(node: etree._Element) -> tuple[LineItem, LineTerms]:
    found = _LINE.read(node)
    settlement = _LINE_SETTLEMENT.read(found.first("settlement"))
    taxes = [_LINE_TAX.read(tax) for tax in settlement.elements("taxes")]
    rates = (parse_amount(tax.text("rate")) for tax in taxes)
    item = LineItem(
        line_id=found.text("line_id"),
        description=(name := found.text("name")) or found.text("description"),
        unit_price=parse_amount(found.text("net_price")),
        net_amount=parse_amount(settlement.text("total")),
        tax_rate=next((r for r in rates if r is not None), None),
        **quantity_of(found.first("quantity")),
    )
    return item, line_terms(name, taxes[0] if taxes else None)


def read_cii(root: etree._Element, part: int = 1) -> InvoiceData:
    """Read the normalised invoice fields out of a parsed CII document.

    Args:
        root: The root element (``CrossIndustryInvoice`` or ZUGFeRD 1.0 ``CrossIndustryDocument``).
        part: Unused: a CII file holds one invoice (the readers share one signature).

    Returns:
        The InvoiceData, every field present in the XML filled with confidence 1.0.
    """
    return read_cii_terms(root)[0]


def read_cii_terms(root: etree._Element, part: int = 1) -> tuple[InvoiceData, CoreTerms]:
    """Read a CII document as `read_cii` does, with the EN 16931 terms the core check needs besides
    (`agents.readers._en16931_terms`), gathered in the same walk."""
    document = _DOCUMENT.read(root)
    transaction = _TRANSACTION.read(document.first("transaction"))
    agreement = _AGREEMENT.read(transaction.first("agreement"))
    settlement = _SETTLEMENT.read(transaction.first("settlement"))
    seller, seller_found = _PARTIES.read_found(agreement.first("seller"))
    buyer, buyer_found = _PARTIES.read_found(agreement.first("buyer"))
    breakdowns: list[Breakdown] = []
    lines = [_line(n) for n in transaction.elements("lines")]
    items, per_line = zip(*lines, strict=True) if lines else ((), ())
    fields: dict[str, object] = {
        **stated(document),
        **stated(settlement),
        **stated(agreement),
        "seller": seller,
        "buyer": buyer,
        **account(map(_PAYMENT_MEANS.read, settlement.elements("payment_means"))),
        "tax_breakdown": tax_rows(settlement.elements("taxes"), _TAX, _category_and_rate, breakdowns),
        "lines": items,
    }
    summation_node = settlement.first("summation")
    if summation_node is not None:
        summation = _SUMMATION.read(summation_node)
        fields.update(stated(summation))
        fields["total_tax"] = _tax_total(summation.elements("tax_total"), settlement.text("currency"))
        grand = fields.get("total_incl_vat")
        if fields.get("amount_due") is None and isinstance(grand, Decimal):
            prepaid = fields.get("prepaid")
            fields["amount_due"] = grand - (prepaid if isinstance(prepaid, Decimal) else Decimal(0))
    terms = CoreTerms(document.text("specification"), _party_terms(seller_found), _party_terms(buyer_found),
                      per_line, cii_charges(settlement.elements("charges")), tuple(breakdowns))
    return invoice_from_fields(doc_type_for(localname(root), document.text("type_code")), fields), terms
