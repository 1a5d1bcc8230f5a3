"""Reading a document with its seller's learned layout (`agents.layouts`), over the generic text reading.

Which layout: the one whose seller the generic reading names by VAT id or IBAN, else one whose learned name the
document prints. Each rule reads its field where it was learned to stand (a field may have a few rules, one per
label the seller was seen to print it under: the best-confirmed one that finds its label reads it); a value found
there in the learned format fills or confirms the generic value with a high confidence (so the extract stage's
self-check accepts it) and replaces a generic value only when that one was unsure: a sure generic reading that
disagrees stands.
The layout's amounts must pass the reader's own check (net + VAT = total, total - prepaid = due): else the one
read by the least-confirmed rule is left out, then the next, until the rest pass with the generic readings (or
none is left); when they pass with none left out, a totals mismatch the generic reading found is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from agents.layouts import (
    LAYOUT_FIELDS,
    VendorLayout,
    compact,
    doc_words,
    name_printed,
    norm,
    same_value,
    value_at,
    vendor_of,
)
from agents.readers.text_layout import Document
from schemas import InvoiceData, Party, Reason

__all__ = ["apply_layout", "find_layout"]

_SURE = 0.97  # a value read at its learned anchor in its learned format
_AMOUNTS = frozenset({"total_net", "total_tax", "total_incl_vat", "amount_due"})
_TRUSTED = 0.9  # a generic reading this sure stands against the layout
_SELF_CHECK = frozenset({"text_totals_mismatch"})


def _recognised(layout: VendorLayout, invoice: InvoiceData, text: str) -> bool:
    """Whether the document is the layout's seller's: its VAT id or IBAN as read, or its name printed."""
    if layout.vat_id and compact(invoice.seller.vat_id or "") == compact(layout.vat_id):
        return True
    if layout.iban and compact(invoice.seller_iban or "") == compact(layout.iban):
        return True
    return bool(layout.seller_name) and norm(layout.seller_name or "") in text


def find_layout(layouts: Iterable[VendorLayout], invoice: InvoiceData, doc: Document) -> VendorLayout | None:
    """The layout of the document's seller among a tenant's, or None."""
    text = norm(" ".join(r.text for r in doc.rows))
    by_id = [lay for lay in layouts if lay.vendor in (vendor_of(invoice.seller.vat_id, None),
                                                       vendor_of(None, invoice.seller_iban))]
    for layout in (*by_id, *layouts):
        if _recognised(layout, invoice, text):
            return layout
    return None


def apply_layout(layout: VendorLayout, doc: Document, invoice: InvoiceData,
                 reasons: Sequence[Reason]) -> tuple[InvoiceData, tuple[Reason, ...], int]:
    """Read the fields the layout places, over the generic reading.

    Args:
        layout: The seller's layout.
        doc: The document's rows.
        invoice: The generic reader's reading.
        reasons: The generic reader's findings.

    Returns:
        The reading with every field found at its anchor in its format overriding the generic value at a
        high confidence, the findings (a totals mismatch dropped when the layout's amounts add up), and how
        many fields the layout read (0: the layout did not match, the reading is unchanged).
    """
    values: dict[str, Any] = {}
    conf = dict(invoice.confidence)
    read = 0
    settled: set[str] = set()
    seen: dict[str, int] = {}  # field -> how many reviews confirmed the rule that read it
    words = doc_words(doc)
    current = _current(invoice)
    for rule in layout.rules:  # a field's rules come best-confirmed first: the first that reads a value reads it
        kind = LAYOUT_FIELDS[rule.field]
        if rule.field in settled:
            continue
        found = _learned_name(layout, rule.field, words) if kind == "name" else value_at(doc, rule, kind)
        if found is None:
            continue
        settled.add(rule.field)
        mine = current.get(rule.field)
        if mine is not None and not same_value(kind, mine, found) and conf.get(rule.field, 0) >= _TRUSTED:
            continue  # a sure generic reading that disagrees stands: neither is trusted over the other
        values[rule.field] = found
        seen[rule.field] = rule.seen
        conf[rule.field] = max(conf.get(rule.field, 0.0), _SURE)
        read += 1
    # the layout's amounts must pass the reader's own check: the least-confirmed one is left out (its generic
    # reading back) until the rest pass with the generic readings, else all of them are
    left_out = 0
    for name in sorted(_AMOUNTS & values.keys(), key=lambda n: (seen[n], n)):
        if _adds_up(_updated(invoice, values, conf)):
            break
        del values[name]
        conf[name] = invoice.confidence.get(name, conf[name])
        read -= 1
        left_out += 1
    if not read:
        return invoice, tuple(reasons), 0
    updated = _updated(invoice, values, conf)
    # a mismatch the generic reading found stands when a layout amount had to be left out: the layout and the
    # generic reading disagree there, and neither is trusted over the other
    settles = not left_out and _adds_up(updated)
    kept = tuple(r for r in reasons if r.code not in _SELF_CHECK or not settles)
    return updated, kept, read


def _current(invoice: InvoiceData) -> dict[str, Any]:
    return {"invoice_number": invoice.invoice_number, "issue_date": invoice.issue_date,
            "due_date": invoice.due_date, "currency": invoice.currency, "seller.name": invoice.seller.name,
            "seller.vat_id": invoice.seller.vat_id, "seller_iban": invoice.seller_iban,
            "total_net": invoice.total_net, "total_tax": invoice.total_tax,
            "total_incl_vat": invoice.total_incl_vat, "amount_due": invoice.amount_due}


def _learned_name(layout: VendorLayout, field: str, words: frozenset[str]) -> str | None:
    """A party name the layout knows for sure: the seller's learned name, when the document prints it (its
    words may stand on two rows, beside other columns)."""
    if field != "seller.name" or not layout.seller_name:
        return None
    return layout.seller_name if name_printed(layout.seller_name, words) else None


def _updated(invoice: InvoiceData, values: Mapping[str, Any], conf: dict[str, float]) -> InvoiceData:
    top: dict[str, Any] = {"confidence": conf}
    parties: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        party, dot, attribute = name.partition(".")
        if dot:
            parties.setdefault(party, {})[attribute] = value
        else:
            top[name] = value
    for party, update in parties.items():
        current: Party = getattr(invoice, party)
        top[party] = current.model_copy(update=update)
    data = invoice.model_dump()
    data.update(top)
    return InvoiceData.model_validate(data)


def _adds_up(inv: InvoiceData) -> bool:
    net, tax, total = inv.total_net, inv.total_tax, inv.total_incl_vat
    if net is None or tax is None or total is None or net + tax != total:
        return False
    due = inv.amount_due
    return due is None or due == total - (inv.prepaid or Decimal(0))
