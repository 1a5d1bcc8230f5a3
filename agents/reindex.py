"""What the dedupe index holds for recorded invoices: the pure half of `invoiceflow index rebuild`.

The score stage claims an invoice's business keys, and detect its document, the first time each is seen;
these functions derive the same claims from the records, so a rebuilt index answers as the lost one did.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from agents.rules.history import business_keys
from schemas import InvoiceData
from streams.sinks.recovery import RecordedInvoice

__all__ = ["IndexEntries", "index_entries"]

Claim = tuple[str, str, str]  # (tenant, document sha256 or business key, invoice id)


class IndexEntries:
    """First-seen claims of documents and business keys, plus the rows whose fields could not be read."""

    __slots__ = ("documents", "keys", "unreadable")

    def __init__(self) -> None:
        self.documents: list[Claim] = []
        self.keys: list[Claim] = []
        self.unreadable = 0


def index_entries(rows: Iterable[RecordedInvoice]) -> IndexEntries:
    """The document and business-key claims of `rows` (oldest first, so the first seen owns each key)."""
    out = IndexEntries()
    for row in rows:
        out.documents.append((row.tenant_id, row.document_sha256, row.invoice_id))
        if row.invoice_json is None:
            continue
        try:
            invoice = InvoiceData.model_validate_json(row.invoice_json)
        except ValidationError:
            out.unreadable += 1
            continue
        out.keys += [(row.tenant_id, key, row.invoice_id) for key in business_keys(invoice)]
    return out
