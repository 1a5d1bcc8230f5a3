"""Value objects shared by several events: document references, reasons, enumerations."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from schemas._base import Contract


class DocumentFormat(StrEnum):
    """What a document is, judged by its content, never by its file name."""

    UBL = "ubl"
    CII = "cii"
    FATTURAPA = "fatturapa"
    HYBRID_PDF = "hybrid_pdf"
    TEXT_PDF = "text_pdf"
    SCANNED_PDF = "scanned_pdf"
    IMAGE = "image"
    XML_OTHER = "xml_other"
    UNSUPPORTED = "unsupported"


class DocType(StrEnum):
    """The business meaning of a document (UNTDID 1001 where one applies)."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    DEBIT_NOTE = "debit_note"
    SELF_BILLED_INVOICE = "self_billed_invoice"
    PURCHASE_ORDER = "purchase_order"
    ORDER_RESPONSE = "order_response"
    DESPATCH_ADVICE = "despatch_advice"
    REMINDER = "reminder"
    STATEMENT = "statement"
    REMITTANCE_ADVICE = "remittance_advice"
    RECEIPT = "receipt"
    OTHER = "other"
    UNKNOWN = "unknown"


INVOICE_LIKE = frozenset(
    {DocType.INVOICE, DocType.CREDIT_NOTE, DocType.DEBIT_NOTE, DocType.SELF_BILLED_INVOICE}
)


class Route(StrEnum):
    """Where the detect stage sends a document: the cheapest extractor that can read it."""

    STRUCTURED = "structured"
    TEXT = "text"
    OCR = "ocr"
    DUPLICATE = "duplicate"
    NOT_INVOICE = "not_invoice"
    UNSUPPORTED = "unsupported"
    INVALID = "invalid"


class Decision(StrEnum):
    """The automation decision for one invoice."""

    AUTO_APPROVE = "auto_approve"
    REVIEW = "review"
    REJECT = "reject"


class Reason(Contract):
    """A machine-readable code with a human message: why a decision or a route was taken."""

    code: str = Field(min_length=1, max_length=64, description="Stable snake_case code.")
    message: str = Field(max_length=500, description="One sentence a person can read; no document content.")
    field: str | None = Field(default=None, description="The field the reason is about, if any.")


class DocumentRef(Contract):
    """A document, by reference (file:// or https:// with its digest) or inline as base64."""

    uri: str | None = Field(default=None, description="file:// or https:// location of the document.")
    inline_b64: str | None = Field(default=None, description="The document itself, base64, when small.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the document bytes.")
    size: int = Field(ge=0, description="Size of the document in bytes.")
    content_type: str = Field(default="application/octet-stream", description="Declared MIME type.")
    filename: str | None = Field(default=None, max_length=500, description="Original file name, if known.")

    @model_validator(mode="after")
    def _one_location(self) -> DocumentRef:
        if (self.uri is None) == (self.inline_b64 is None):
            raise ValueError("a document needs exactly one of uri or inline_b64")
        if self.uri is not None and not self.uri.startswith(("file://", "https://")):
            raise ValueError("document uri must be file:// or https://")
        return self
