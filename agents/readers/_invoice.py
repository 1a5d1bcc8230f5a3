"""Assemble an InvoiceData from the values a structured reader found, with their confidences.

Both XML readers collect plain values into a dict and hand it here, so the rule "a value read from the XML
has confidence 1.0, an absent value has none" lives in one place. Party sub-fields get dotted confidence
keys (``seller.name``, ``buyer.vat_id``...) so scoring can tell a missing VAT id from a missing name.
"""

from __future__ import annotations

from typing import Any

from schemas import DocType, InvoiceData, Party

__all__ = ["invoice_from_fields"]

_PARTY_FIELDS = ("name", "vat_id", "legal_id", "address")


def _present(value: object) -> bool:
    """Whether a value counts as read: not None, and not an empty string or tuple (tested by type, not by
    comparing with ``()`` and ``""``: a Decimal compared with those consults numbers.Rational, an ABC, and a
    pydantic model runs its ``__eq__``; this is called some 30 times a document)."""
    if value is None:
        return False
    return len(value) > 0 if isinstance(value, str | tuple) else True


def invoice_from_fields(doc_type: DocType, fields: dict[str, Any], confidence: float = 1.0) -> InvoiceData:
    """Build the InvoiceData, recording `confidence` for every field that has a value.

    Args:
        doc_type: The business meaning of the document.
        fields: InvoiceData field names to values (None or empty when the document lacks them).
        confidence: The confidence of each value present (1.0 for values read from an e-invoice).

    Returns:
        The validated InvoiceData.
    """
    scores: dict[str, float] = {}
    for name, value in fields.items():
        if isinstance(value, Party):
            for sub in _PARTY_FIELDS:
                if _present(getattr(value, sub)):
                    scores[f"{name}.{sub}"] = confidence
        elif _present(value):
            scores[name] = confidence
    scores["doc_type"] = confidence
    return InvoiceData(doc_type=doc_type, confidence=scores, **fields)
