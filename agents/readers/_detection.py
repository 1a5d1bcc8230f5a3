"""The values detection works with: its limits, and what it found.

Kept apart from `agents.detect` so the readers, the extract dispatch and the evaluation can share them without
importing the detect stage itself. Both are frozen, slotted dataclasses: internal values, never on the wire
(the agent shell copies a Detection into a `DocumentDetected` event).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from agents.readers.pdf_text import PageLines
from config.settings import Settings
from schemas import DocType, DocumentFormat, Reason, Route

__all__ = ["DetectLimits", "Detection", "Parsed", "Part", "XmlIdentity", "reason"]

_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DetectLimits:
    """The safety limits detection enforces on one document (defaults mirror `Settings`)."""

    max_bytes: int = 20 * _MIB
    max_pages: int = 50
    max_xml_bytes: int = 10 * _MIB
    max_inflated_bytes: int = 64 * _MIB
    max_image_pixels: int = 40_000_000
    time_budget_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DetectLimits:
        """Build the limits from the process settings.

        Args:
            settings: The process settings (``INVOICEFLOW_MAX_*`` and ``INVOICEFLOW_DETECT_TIME_BUDGET_S``).

        Returns:
            The limits.
        """
        return cls(
            max_bytes=settings.max_document_bytes,
            max_pages=settings.max_pages,
            max_xml_bytes=settings.max_xml_bytes,
            max_inflated_bytes=settings.max_inflated_bytes,
            max_image_pixels=settings.max_image_pixels,
            time_budget_s=settings.detect_time_budget_s,
        )


@dataclass(frozen=True, slots=True)
class Part:
    """One invoice of a file that holds several (a FatturaPA body): its business meaning and type code."""

    doc_type: DocType
    type_code: str | None


@dataclass(frozen=True, slots=True)
class XmlIdentity:
    """What a structured reader says a parsed e-invoice XML is, at detect time.

    Attributes:
        doc_type: The business meaning (of the first invoice, for a file of several).
        type_code: The type code it states (UNTDID 1001, or the syntax's own such as FatturaPA's TipoDocumento).
        syntax: The finer syntax (``ubl-2.1``, ``cii-d16b``, ``zugferd-1.0``, ``fatturapa-fpr12``...).
        parts: Each invoice's type, in order, for a syntax whose files may hold several (empty otherwise).
    """

    doc_type: DocType
    type_code: str | None
    syntax: str
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True, slots=True)
class Parsed:
    """An e-invoice XML as detect parsed it: the tree the readers walk, and the size of the XML it came from
    (what a worker's memo of parsed XML counts it as)."""

    root: etree._Element
    size: int


@dataclass(frozen=True, slots=True)
class Detection:
    """What a document is and where it goes next.

    Attributes:
        format: The format judged from content.
        doc_type: The business meaning.
        route: The extractor that reads it next, or why none does (never ``duplicate``: that needs state).
        type_code: The UNTDID 1001 code, when the document states one.
        syntax: The finer syntax (``ubl-2.1``, ``cii-d16b``, ``zugferd-1.0``...).
        pages: The page count of a PDF or image.
        embedded_xml: The name of the attachment chosen in a hybrid PDF.
        reasons: Why this route (always set when invalid, unsupported or not an invoice).
        xml: The e-invoice XML found (the document itself, the chosen attachment or the signed content), so
            extraction in the same process need not look for it again.
        xml_format: The format of that XML (UBL, CII or FatturaPA): which reader reads it, whatever envelope
            it came in.
        parsed: That XML as detect parsed it, so extraction in the same process need not parse it again (not
            compared: two parses of the same XML are equal detections).
        parts: Each invoice's type, in order, when the file holds several (empty for a file of one): the
            detect shell emits one event per part.
        part: Which of those invoices extraction reads (1-based; None: the first or only one).
        signed: Whether the document came in a signed envelope (its reasons say whether the signature verifies).
        lines: The positioned lines of a text PDF's leading pages, read by detect from the pages it loaded for
            its text probe (only when asked to keep them), so extraction in the same process need not load
            those pages again (not compared: the same pages give the same lines).
    """

    format: DocumentFormat
    doc_type: DocType
    route: Route
    type_code: str | None = None
    syntax: str | None = None
    pages: int | None = None
    embedded_xml: str | None = None
    reasons: tuple[Reason, ...] = ()
    xml: bytes | None = None
    parts: tuple[Part, ...] = ()
    part: int | None = None
    signed: bool = False
    xml_format: DocumentFormat | None = None
    parsed: Parsed | None = field(default=None, compare=False, repr=False)
    lines: PageLines | None = field(default=None, compare=False, repr=False)


def reason(code: str, message: str, field: str | None = None) -> Reason:
    """Build a Reason (a shorthand used throughout detection and extraction)."""
    return Reason(code=code, message=message, field=field)
