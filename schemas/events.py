"""The event contracts of every topic, version 1 (`invoices.detected`: version 2, which still reads 1).

`invoices.received -> invoices.detected -> invoices.extracted -> invoices.scored`, reviews on
`invoices.reviewed` (`schemas.review`), plus the dead-letter envelope. Each event carries the document
reference forward so any stage can be replayed on its own, and `received_at` so end-to-end latency is
measurable at the last hop; the later events also carry the earlier stages' times (optional, so events
written before they were carried still decode), so the scored record holds the invoice's whole journey.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from schemas._base import Contract, Event
from schemas._common import Decision, DocType, DocumentFormat, DocumentRef, Reason, Route
from schemas.invoice import InvoiceData
from schemas.review import InvoiceReviewed


class InvoiceReceived(Event):
    """A document arrived for a tenant (topic `invoices.received`)."""

    schema_version: Literal[1] = Field(default=1, description="Contract version.")
    document: DocumentRef = Field(description="The document, by reference or inline.")
    source: str = Field(default="api", max_length=100, description="Where it came from: email, peppol, cli...")
    metadata: dict[str, str] = Field(default_factory=dict, description="Free upstream metadata (no secrets).")


class DocumentDetected(Event):
    """What the document is and which extractor reads it (topic `invoices.detected`).

    Version 2 adds `xml_format` and `signed`, so that extract reads the XML detect chose with the reader detect
    named and never judges the document again; version-1 events (written by an older worker, or replayed from
    a dead-letter topic) still decode, and extract derives the two from their syntax and reasons.
    """

    schema_version: Literal[1, 2] = Field(
        default=2, description="Contract version: 2 adds xml_format and signed; 1 is still read."
    )
    detected_at: datetime = Field(description="When detection finished (UTC).")
    document: DocumentRef = Field(description="The document, carried forward.")
    format: DocumentFormat = Field(description="Format judged from content.")
    doc_type: DocType = Field(description="Business meaning of the document.")
    type_code: str | None = Field(default=None, description="UNTDID 1001 code when the document has one.")
    syntax: str | None = Field(default=None, description="Finer syntax: ubl-2.1, cii-d16b, zugferd-1...")
    route: Route = Field(description="Which extractor reads it next, or why none does.")
    reasons: tuple[Reason, ...] = Field(default=(), description="Why this route (always set when invalid).")
    pages: int | None = Field(default=None, description="Page count for PDFs and images.")
    embedded_xml: str | None = Field(default=None, description="Name of the attachment chosen in a hybrid PDF.")
    xml_format: DocumentFormat | None = Field(
        default=None,
        description="Version 2: the format of the e-invoice XML (ubl, cii or fatturapa), whether it is the "
        "document itself, the attachment chosen in a hybrid PDF or the content of a signed envelope: the reader "
        "extract reads it with. None when the document is no e-invoice XML.",
    )
    signed: bool = Field(
        default=False,
        description="Version 2: the XML is the content of a CAdES-signed envelope (.p7m), checked by detect.",
    )
    duplicate_of: str | None = Field(default=None, description="Earlier invoice id with the same sha256.")
    part: int | None = Field(
        default=None,
        ge=1,
        description="Which invoice of a file that holds several (a FatturaPA body, 1-based); its invoice id is "
        "then the file's with '#<part>' appended (`part_invoice_id`). None for a file of one invoice.",
    )


class Cost(Contract):
    """What extracting one document cost."""

    pages: int = Field(default=0, ge=0, description="Pages billed.")
    model: str | None = Field(default=None, description="Paid model used, if any.")
    usd: Decimal = Field(default=Decimal("0"), description="Cost in US dollars.")


class InvoiceExtracted(Event):
    """The normalised fields of the document (topic `invoices.extracted`)."""

    schema_version: Literal[1] = Field(default=1, description="Contract version.")
    extracted_at: datetime = Field(description="When extraction finished (UTC).")
    detected_at: datetime | None = Field(
        default=None,
        description="When detection finished (UTC), carried forward for the invoice's journey; None on events "
        "written before it was carried.",
    )
    document: DocumentRef = Field(description="The document, carried forward.")
    format: DocumentFormat = Field(description="Format judged by detect.")
    route: Route = Field(description="Route taken by detect, or invalid when the reader found it breaks EN 16931.")
    extractor: str = Field(description="Reader used: ubl, cii, text, azure:<model>, or none.")
    invoice: InvoiceData | None = Field(default=None, description="The fields; None when nothing was read.")
    local_reading: InvoiceData | None = Field(
        default=None, description="The local reading, kept when it was escalated to the paid extractor."
    )
    pages: int = Field(default=0, ge=0, description="Pages in the document.")
    cost: Cost = Field(default_factory=Cost, description="Paid extraction cost.")
    reasons: tuple[Reason, ...] = Field(default=(), description="Detection and extraction findings.")
    duplicate_of: str | None = Field(default=None, description="Earlier invoice id with the same sha256.")


class InvoiceScored(Event):
    """The automation decision (topic `invoices.scored`), the result downstream systems consume.

    Version 2 adds `document` (the reference, so that the record ties a later review to the document) and may
    carry route `invalid` for an e-invoice its reader found breaking EN 16931; version-1 events (written by an
    older worker, or replayed from a dead-letter topic) still decode. A consumer built on version 1 with unknown
    fields refused must accept version 2 before the workers are upgraded.
    """

    schema_version: Literal[1, 2] = Field(
        default=2, description="Contract version: 2 adds document; 1 is still read."
    )
    scored_at: datetime = Field(description="When scoring finished (UTC).")
    detected_at: datetime | None = Field(
        default=None,
        description="When detection finished (UTC), carried forward for the invoice's journey; None on events "
        "written before it was carried.",
    )
    extracted_at: datetime | None = Field(
        default=None,
        description="When extraction finished (UTC), carried forward for the invoice's journey; None on events "
        "written before it was carried.",
    )
    score: float = Field(ge=0.0, le=1.0, description="How safely it can be processed without a human.")
    decision: Decision = Field(description="auto_approve, review or reject.")
    reasons: tuple[Reason, ...] = Field(default=(), description="Every finding behind the decision.")
    policy_version: str = Field(description="Version of the tenant policy that decided.")
    format: DocumentFormat = Field(description="Format judged by detect.")
    extractor: str = Field(description="Reader used.")
    route: Route | None = Field(default=None, description="Route taken by detect, or invalid (see InvoiceExtracted).")
    pages: int = Field(default=0, ge=0, description="Pages in the document.")
    extraction_reasons: tuple[Reason, ...] = Field(default=(), description="Detection and extraction findings.")
    document_sha256: str = Field(description="SHA-256 of the document.")
    document: DocumentRef | None = Field(
        default=None,
        description="The document by reference (file:// or https://), carried forward so the record ties a later "
        "review to it (a review made on the dashboard or the command line then teaches layouts and trains "
        "models); None when the document came inline, or on events written before it was carried.",
    )
    invoice: InvoiceData | None = Field(default=None, description="The extracted fields.")
    cost: Cost = Field(default_factory=Cost, description="Paid extraction cost.")


class DeadLetter(Contract):
    """The envelope dead letters were written in before 2026-12 (read, never written any more).

    A dead letter is now the original message untouched with `kafka_dlt-*` and `x-invoiceflow-*` headers
    (see streams/deadletters.py); this contract stays so that dead letters already on a topic can still be
    listed and replayed.
    """

    schema_version: Literal[1] = Field(default=1, description="Contract version.")
    event_id: str = Field(description="Deterministic id from source topic, partition and offset.")
    stage: str = Field(description="Stage that gave up.")
    source_topic: str = Field(description="Topic the message was read from.")
    partition: int = Field(description="Partition it was read from.")
    offset: int = Field(description="Offset it was read from.")
    key: str | None = Field(default=None, description="Message key (invoice id), if decodable.")
    invoice_id: str | None = Field(default=None, description="Invoice id, if the payload revealed one.")
    tenant_id: str | None = Field(default=None, description="Tenant id, if the payload revealed one.")
    error_code: str = Field(description="Stable error code (InvoiceflowError.code).")
    error_message: str = Field(max_length=2000, description="What went wrong; no document content.")
    retriable: bool = Field(default=False, description="Whether a replay may succeed unchanged.")
    attempts: int = Field(default=1, ge=1, description="How many times the stage tried.")
    failed_at: datetime = Field(description="When it was dead-lettered (UTC).")
    payload_b64: str = Field(description="The original message value, base64, for replay.")
    headers: dict[str, str] = Field(default_factory=dict, description="Original headers (decoded as text).")


EVENT_TYPES: tuple[type[Contract], ...] = (
    InvoiceReceived,
    DocumentDetected,
    InvoiceExtracted,
    InvoiceScored,
    InvoiceReviewed,
    DeadLetter,
)
