"""What an XML business document means, from its root element and its UNTDID 1001 type code.

The root says which message it is (a UBL Order is never an invoice); for invoice messages the type code
refines it. The classic trap: 389 is a self-billed invoice (German "Gutschrift" in the sense of the buyer
billing itself), not a credit note, while 381 is a credit note. An invoice with code 380 and negative amounts
stays an invoice: the code, not the sign, carries the meaning.
"""

from __future__ import annotations

from schemas import DocType

__all__ = ["CII_ROOTS", "ORDER_X_ROOT", "UBL_INVOICE_ROOTS", "doc_type_for", "order_x_doc_type"]

# UNTDID 1001 codes grouped by meaning; any other code on an invoice message is an invoice of some kind
# (380 commercial, 384 corrected, 386 prepayment, 326 partial, 387 hire, 575 insurer's, 751, 875-877...).
_CREDIT_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})
_DEBIT_CODES = frozenset({"80", "84", "383", "527"})
_SELF_BILLED_CODES = frozenset({"389"})
_NOT_INVOICE_CODES = frozenset({"325"})  # pro-forma: an offer, not a claim for payment

CII_ROOTS = frozenset({"CrossIndustryInvoice", "CrossIndustryDocument"})

ORDER_X_ROOT = "SCRDMCCBDACIOMessageStructure"
"""The root of Order-X (the CII order message of the FNFE-MPE and FeRD): orders, changes and responses."""
_ORDER_RESPONSE_CODES = frozenset({"231"})  # 220 order, 230 order change, 231 order response

UBL_INVOICE_ROOTS = frozenset(
    {"Invoice", "FreightInvoice", "SelfBilledInvoice", "CreditNote", "SelfBilledCreditNote", "DebitNote"}
)

_UBL_ROOTS: dict[str, DocType] = {
    "Invoice": DocType.INVOICE,
    "FreightInvoice": DocType.INVOICE,
    "SelfBilledInvoice": DocType.SELF_BILLED_INVOICE,
    "CreditNote": DocType.CREDIT_NOTE,
    "SelfBilledCreditNote": DocType.CREDIT_NOTE,
    "DebitNote": DocType.DEBIT_NOTE,
    "Order": DocType.PURCHASE_ORDER,
    "OrderResponse": DocType.ORDER_RESPONSE,
    "OrderResponseSimple": DocType.ORDER_RESPONSE,
    "DespatchAdvice": DocType.DESPATCH_ADVICE,
    "Reminder": DocType.REMINDER,
    "Statement": DocType.STATEMENT,
    "RemittanceAdvice": DocType.REMITTANCE_ADVICE,
}

# Roots whose own name fixes the meaning whatever type code they carry.
_ROOT_WINS = frozenset({"CreditNote", "SelfBilledCreditNote", "DebitNote", "SelfBilledInvoice"})


def doc_type_for(root_name: str, type_code: str | None) -> DocType:
    """Map an XML root local name and UNTDID 1001 type code to a DocType.

    Args:
        root_name: Local name of the root element (``Invoice``, ``CrossIndustryInvoice``, ``Order``...).
        type_code: The document's type code (BT-3), if it has one.

    Returns:
        The DocType; ``OTHER`` for known business documents outside our enum (catalogues, waybills...).
    """
    if root_name in CII_ROOTS or (root_name in UBL_INVOICE_ROOTS and root_name not in _ROOT_WINS):
        code = (type_code or "").strip()
        if code in _SELF_BILLED_CODES:
            return DocType.SELF_BILLED_INVOICE
        if code in _CREDIT_CODES:
            return DocType.CREDIT_NOTE
        if code in _DEBIT_CODES:
            return DocType.DEBIT_NOTE
        if code in _NOT_INVOICE_CODES:
            return DocType.OTHER
        return DocType.INVOICE
    return _UBL_ROOTS.get(root_name, DocType.OTHER)


def order_x_doc_type(type_code: str | None) -> DocType:
    """The DocType of an Order-X message by its UNTDID 1001 code: an order response (231) or an order."""
    return DocType.ORDER_RESPONSE if (type_code or "").strip() in _ORDER_RESPONSE_CODES else DocType.PURCHASE_ORDER
