"""Event contracts of invoiceflow: pydantic v2 models, one per topic payload, versioned."""

from schemas._base import Contract, Event, event_id_for
from schemas._common import (
    INVOICE_LIKE,
    Decision,
    DocType,
    DocumentFormat,
    DocumentRef,
    Reason,
    Route,
)
from schemas.events import (
    EVENT_TYPES,
    Cost,
    DeadLetter,
    DocumentDetected,
    InvoiceExtracted,
    InvoiceReceived,
    InvoiceScored,
)
from schemas.invoice import Address, InvoiceData, LineItem, Party, TaxSubtotal

__all__ = [
    "EVENT_TYPES",
    "INVOICE_LIKE",
    "Address",
    "Contract",
    "Cost",
    "DeadLetter",
    "Decision",
    "DocType",
    "DocumentDetected",
    "DocumentFormat",
    "DocumentRef",
    "Event",
    "InvoiceData",
    "InvoiceExtracted",
    "InvoiceReceived",
    "InvoiceScored",
    "LineItem",
    "Party",
    "Reason",
    "Route",
    "TaxSubtotal",
    "event_id_for",
]
