"""Refuse a UBL invoice whose top-level blocks stand out of the order its schema fixes.

Every UBL 2.x main document (Invoice, CreditNote, DebitNote and their variants) is an ``xsd:sequence``: the
header terms, then the references, then the parties, then delivery, payment and allowances, then the tax
totals, then the document totals, then the lines. A file that puts, say, an AdditionalDocumentReference
after the parties fails the schema, so its receiver's validator rejects it before any business rule runs.

Running the XSD would cost milliseconds and the schema files of every version; the order *within* a block
differs between document types and versions, but the order of the blocks does not. So each root child
known to belong to a block is ranked, in one pass over the root's children, and a child ranked below one
already met is refused. Names this table does not know (extensions, a later version's additions) are not
judged, so the check can only miss a fault, never invent one.
"""

from __future__ import annotations

from lxml import etree

from agents.readers._detection import reason
from agents.readers._xpath import localname
from schemas import Reason

__all__ = ["ubl_order_problem"]

_BLOCKS: tuple[tuple[str, ...], ...] = (
    (  # the header terms
        "UBLExtensions", "UBLVersionID", "CustomizationID", "ProfileID", "ProfileExecutionID", "ID", "CopyIndicator",
        "UUID", "IssueDate", "IssueTime", "DueDate", "TaxPointDate", "InvoiceTypeCode", "CreditNoteTypeCode",
        "DebitNoteTypeCode", "Note", "DocumentCurrencyCode", "TaxCurrencyCode", "PricingCurrencyCode",
        "PaymentCurrencyCode", "PaymentAlternativeCurrencyCode", "AccountingCostCode", "AccountingCost",
        "LineCountNumeric", "BuyerReference",
    ),
    (  # references to other documents
        "InvoicePeriod", "DiscrepancyResponse", "OrderReference", "BillingReference", "DespatchDocumentReference",
        "ReceiptDocumentReference", "StatementDocumentReference", "OriginatorDocumentReference",
        "ContractDocumentReference", "AdditionalDocumentReference", "ProjectReference", "Signature",
    ),
    (  # the parties
        "AccountingSupplierParty", "AccountingCustomerParty", "PayeeParty", "BuyerCustomerParty",
        "SellerSupplierParty", "TaxRepresentativeParty",
    ),
    (  # delivery, payment, allowances and charges, exchange rates
        "Delivery", "DeliveryTerms", "PaymentMeans", "PaymentTerms", "PrepaidPayment", "AllowanceCharge",
        "TaxExchangeRate", "PricingExchangeRate", "PaymentExchangeRate", "PaymentAlternativeExchangeRate",
    ),
    ("TaxTotal", "WithholdingTaxTotal"),
    ("LegalMonetaryTotal", "RequestedMonetaryTotal"),
    ("InvoiceLine", "CreditNoteLine", "DebitNoteLine"),
)
_RANK = {name: rank for rank, block in enumerate(_BLOCKS) for name in block}
# The rank of each exact tag met (namespace included), so a tag seen before costs one lookup instead of a
# split: the answer depends on the tag alone, and learning stops at _LEARN_LIMIT tags, so documents full of
# made-up names cannot grow it.
_RANK_BY_TAG: dict[object, int] = {}
_LEARN_LIMIT = 1024


def _learn(child: etree._Element) -> int:
    rank = _RANK.get(localname(child), -1)
    if len(_RANK_BY_TAG) < _LEARN_LIMIT:
        _RANK_BY_TAG[child.tag] = rank
    return rank


def ubl_order_problem(root: etree._Element) -> Reason | None:
    """The reason a UBL document's top-level elements break its schema's block order, or None.

    Args:
        root: The parsed UBL root.

    Returns:
        A reason ``ubl_schema_order``, naming the element out of place and the one it follows.
    """
    highest = -1
    after = root
    for child in root[:]:  # type: ignore[index]  # one C call lists the children (lxml-stubs lack the overload)
        rank = _RANK_BY_TAG.get(child.tag)
        if rank is None:
            rank = _learn(child)
        if rank > highest:
            highest, after = rank, child
        elif 0 <= rank < highest:
            message = f"UBL fails its schema: {localname(child)} stands after {localname(after)}."
            return reason("ubl_schema_order", message)
    return None
