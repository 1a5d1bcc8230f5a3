"""Read an invoice from the text of a PDF (or from OCR lines), locally, with a confidence per field.

This is the free path for PDFs that carry text but no e-invoice XML. It reads positioned lines
(`pdf_text`), gathers them into rows, pairs labels in six languages with their values (`text_layout`),
and picks each field with the strongest evidence (`text_fields`, `text_parties`, `text_seller`,
`text_totals`, `text_items`, `text_charges`). Then it checks itself: net + VAT = total incl. VAT,
total - prepaid = amount due, and lines - allowances + charges = net (BT-106, BT-107, BT-108, BT-109).
Each confidence says how much evidence stands behind the value (a passed check, a label beside a
well-formed value, a name the document repeats where the seller signs), because the score stage pays
what is sure and the extract stage sends what is not to the paid reader: a failed check lowers the
confidence of the amounts involved and adds a reason, so a person looks instead of paying a misread
number. `read_text` takes lines from any source, so OCR output goes through the same reader.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from agents.readers.classify import classify_text, detect_language
from agents.readers.labels import Field
from agents.readers.pdf_text import TextLine, pdf_lines
from agents.readers.text_charges import NetBasis, adjustments, line_totals, reachable_nets, reconcile
from agents.readers.text_fields import (
    DateOrder,
    bic,
    currency,
    due_date,
    ibans,
    invoice_number,
    issue_date,
    order_reference,
)
from agents.readers.text_items import read_items
from agents.readers.text_layout import Document, build_document
from agents.readers.text_parties import buyer, labelled_buyer, seller
from agents.readers.text_seller import seller_name_confidence, seller_vat
from agents.readers.text_totals import LineEvidence, choose_totals
from schemas import DocType, InvoiceData, LineItem, Party, Reason

_TYPE_CODES = {
    DocType.INVOICE: "380",
    DocType.CREDIT_NOTE: "381",
    DocType.DEBIT_NOTE: "383",
    DocType.SELF_BILLED_INVOICE: "389",
}
_DECIMAL = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,' \u00a0\u202f]?\d{3})*([.,])\d{2}(?![\d.,]\d)")
_SPACE_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:[\u00a0\u202f ]\d{3})+,\d{2}(?!\d)")
_SLASH_DATE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/\d{2,4}(?!\d)")


def read_text_pdf(content: bytes, max_pages: int | None = None) -> tuple[InvoiceData, tuple[Reason, ...]]:
    """Read the fields of an invoice from a PDF's text layer (embedded XML is ignored).

    Args:
        content: The PDF bytes.
        max_pages: Read at most this many pages.

    Returns:
        The invoice fields with per-field confidence, and the reasons for any doubt.

    Raises:
        pypdfium2.PdfiumError: The bytes are not a PDF pdfium can open.
    """
    return read_text(pdf_lines(content, max_pages))


def read_text(pages: Sequence[Sequence[TextLine]]) -> tuple[InvoiceData, tuple[Reason, ...]]:
    """Read the fields of an invoice from positioned lines, page by page (PDF text or OCR).

    Args:
        pages: The lines of each page; coordinates in any unit, origin top-left.

    Returns:
        The invoice fields with per-field confidence, and the reasons for any doubt.
    """
    return read_document(build_document(pages))


def read_document(doc: Document) -> tuple[InvoiceData, tuple[Reason, ...]]:
    """Read the fields of an invoice from its rows (`text_layout.build_document`), as `read_text` does.

    Args:
        doc: The rows and label hits of the document.

    Returns:
        The invoice fields with per-field confidence, and the reasons for any doubt.
    """
    if not doc.rows:
        reason = Reason(code="text_empty", message="The document has no readable text.")
        return InvoiceData(), (reason,)
    text = "\n".join(row.text for row in doc.rows)
    language = detect_language(text)
    doc_type, type_confidence = classify_text(text)
    hint = _decimal_hint(doc)
    space_groups = language == "fr" or bool(_SPACE_GROUPED.search(text))
    order = _date_order(doc, language)
    conf: dict[str, float] = {"doc_type": type_confidence}
    reasons: list[Reason] = []
    values: dict[str, object] = {"doc_type": doc_type, "type_code": _TYPE_CODES.get(doc_type)}

    number = invoice_number(doc)
    picks = {
        "invoice_number": number,
        "issue_date": issue_date(doc, number.row if number else None, order),
        "due_date": due_date(doc, order),
        "currency": currency(doc, language),
        "seller_bic": bic(doc),
        "order_reference": order_reference(doc),
    }
    accounts = ibans(doc)
    if accounts:
        picks["seller_iban"] = accounts[0]
    for name, pick in picks.items():
        if pick is not None:
            values[name] = pick.value
            conf[name] = round(pick.confidence, 3)

    labelled = labelled_buyer(doc)
    seller_read = seller(doc, labelled.rows if labelled else frozenset())
    buyer_read = buyer(doc, labelled, seller_read.rows if seller_read else frozenset())
    buyer_rows = buyer_read.rows if buyer_read else frozenset()
    vat = seller_vat(doc, seller_read, buyer_rows)
    seller_party = seller_read.party if seller_read else Party()
    if vat is not None:
        seller_party = seller_party.model_copy(update={"vat_id": vat.value})
        conf["seller.vat_id"] = vat.confidence
    values["seller"] = seller_party
    if seller_read is not None and seller_read.party.name:
        conf["seller.name"] = seller_name_confidence(doc, seller_read, buyer_rows)
    if buyer_read is not None:
        values["buyer"] = buyer_read.party
        conf["buyer.name"] = buyer_read.name_confidence
        if buyer_read.party.vat_id:
            conf["buyer.vat_id"] = 0.8

    items = read_items(doc, hint, space_groups)
    line_sum = _line_sum(items)
    printed = line_totals(doc, hint, space_groups)
    extras = adjustments(doc, hint, space_groups)
    lines = LineEvidence(reachable_nets([line_sum] if line_sum is not None else [], extras),
                         reachable_nets(printed, extras), adjusted=bool(extras))
    totals = choose_totals(doc, hint, space_groups, lines)
    for field, amount in totals.values.items():
        values[field.value] = amount
        conf[field.value] = round(totals.confidence[field], 3)
    if totals.consistent is False:
        reasons.append(Reason(code="text_totals_mismatch", field="total_incl_vat",
                              message="Net plus VAT, or total minus prepaid, does not match the totals read."))
    if items:
        values["lines"] = items
    net = totals.values.get(Field.NET_TOTAL)
    basis = reconcile(net, line_sum, printed, extras) if net is not None else None
    reasons.extend(_net_basis(values, conf, basis, line_sum, net is not None))
    values["confidence"] = conf
    return InvoiceData.model_validate(values), tuple(reasons)


def _line_sum(items: Sequence[LineItem]) -> Decimal | None:
    """The sum of the line amounts read (BT-131), or None without lines."""
    amounts = [i.net_amount for i in items if i.net_amount is not None]
    return sum(amounts, Decimal(0)) if amounts else None


def _net_basis(
    values: dict[str, object], conf: dict[str, float], basis: NetBasis | None, line_sum: Decimal | None,
    has_net: bool,
) -> list[Reason]:
    """Set BT-106, BT-107 and BT-108 from the reconciliation, and say when the lines do not lead to the net."""
    mismatch = Reason(code="text_lines_mismatch", field="lines",
                      message="The line amounts do not add up to the net total read.")
    if basis is None:
        if line_sum is None:
            return []
        values["line_net_total"] = line_sum  # what the lines say; the score stage checks it against the net
        conf["line_net_total"] = conf["lines"] = 0.4 if has_net else 0.6
        return [mismatch] if has_net else []
    values["line_net_total"] = basis.line_total
    sure = 0.97 if basis.printed and basis.summed else 0.93
    conf["line_net_total"] = sure
    if basis.allowances:
        values["allowance_total"], conf["allowance_total"] = basis.allowances, sure
    if basis.charges:
        values["charge_total"], conf["charge_total"] = basis.charges, sure
    if line_sum is None:
        return []
    conf["lines"] = 0.9 if basis.summed else 0.4
    return [] if basis.summed else [mismatch]


def _decimal_hint(doc: Document) -> str | None:
    """The document's decimal separator, by a vote of amounts with two decimals."""
    votes: Counter[str] = Counter()
    for row in doc.rows:
        for m in _DECIMAL.finditer(row.text):
            votes[m.group(1)] += 1
    if not votes:
        return None
    ranked = votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def _date_order(doc: Document, language: str | None) -> DateOrder:
    """Whether numeric dates are month-first: proved by one unambiguous date, else US English usage.

    Only English documents may put the month first, so elsewhere the order is settled even unproved.
    """
    first_big = second_big = 0
    for row in doc.rows:
        for m in _SLASH_DATE.finditer(row.text):
            first_big += int(m.group(1)) > 12
            second_big += int(m.group(2)) > 12
    if first_big or second_big:
        return DateOrder(second_big > first_big, settled=not (first_big and second_big))
    text = " ".join(row.text for row in doc.rows[:40])
    us = language == "en" and "$" in text and "£" not in text and "€" not in text
    return DateOrder(us, settled=language not in ("en", None))
