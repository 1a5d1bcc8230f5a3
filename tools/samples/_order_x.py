"""Order-X orders (the CII order message, root ``SCRDMCCBDACIOMessageStructure``) made from a sample invoice.

Why orders in an invoice generator: an invoice inbox receives orders too, as XML and as PDFs with an
``order-x.xml`` attachment, and the pipeline must route them `not_invoice` as what they are. The order asks
for the invoice's lines from the same parties, in the Order-X element order (document, then the
transaction's lines, agreement, delivery and settlement).
"""

from __future__ import annotations

from typing import Final

from ._model import SampleInvoice
from ._xml import amount, document, leaf, node, plain

ROOT: Final = "rsm:SCRDMCCBDACIOMessageStructure"
NAMESPACES: Final = (
    ' xmlns:rsm="urn:un:unece:uncefact:data:standard:SCRDMCCBDACIOMessageStructure:100"'
    ' xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:128"'
    ' xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:128"'
)
ORDER: Final = "220"
ORDER_RESPONSE: Final = "231"


def render_order_x(inv: SampleInvoice, type_code: str = ORDER) -> bytes:
    """An Order-X message (220 order by default, 231 order response) for the lines of `inv`."""
    lines = [
        node("ram:IncludedSupplyChainTradeLineItem",
             node("ram:AssociatedDocumentLineDocument", leaf("ram:LineID", line.line_id)),
             node("ram:SpecifiedTradeProduct", leaf("ram:Name", line.name)),
             node("ram:SpecifiedLineTradeAgreement", node("ram:NetPriceProductTradePrice",
                                                          leaf("ram:ChargeAmount", format(line.price, "f")))),
             node("ram:SpecifiedLineTradeDelivery", leaf("ram:RequestedQuantity", plain(line.quantity),
                                                         f' unitCode="{line.unit}"')))
        for line in inv.lines
    ]
    return document(ROOT, NAMESPACES, [
        node("rsm:ExchangedDocumentContext", node("ram:GuidelineSpecifiedDocumentContextParameter",
                                                  leaf("ram:ID", "urn:order-x.eu:1p0:basic"))),
        node("rsm:ExchangedDocument", leaf("ram:ID", f"PO-{inv.number}"), leaf("ram:TypeCode", type_code),
             node("ram:IssueDateTime", leaf("udt:DateTimeString", inv.issue_date.strftime("%Y%m%d"),
                                            ' format="102"'))),
        node("rsm:SupplyChainTradeTransaction", *lines,
             node("ram:ApplicableHeaderTradeAgreement", node("ram:SellerTradeParty", leaf("ram:Name", inv.seller.name)),
                  node("ram:BuyerTradeParty", leaf("ram:Name", inv.buyer.name))),
             node("ram:ApplicableHeaderTradeDelivery"),
             node("ram:ApplicableHeaderTradeSettlement", leaf("ram:OrderCurrencyCode", inv.currency),
                  node("ram:SpecifiedTradeSettlementHeaderMonetarySummation",
                       leaf("ram:LineTotalAmount", amount(inv.totals.line_total))))),
    ])
