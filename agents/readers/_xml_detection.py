"""What an XML document is: UBL, CII or other XML, its doc type and syntax, and the Detection that follows.

Shared by bare XML and by the XML attached to a hybrid PDF (`_pdf_detection`), so an e-invoice is judged
the same way whichever envelope it came in. Only invoice-like documents keep their XML on the Detection: a
credit note is read, an order or a despatch advice is routed ``not_invoice`` and its bytes are dropped.
"""

from __future__ import annotations

from lxml import etree

from agents.readers._detection import Detection, DetectLimits, reason
from agents.readers._doctypes import CII_ROOTS, UBL_INVOICE_ROOTS, doc_type_for
from agents.readers._refusals import invalid, unsupported
from agents.readers._xpath import localname, path, text_at
from agents.readers.cii import cii_type_code
from agents.readers.safe_xml import XmlRefusedError, parse_xml
from agents.readers.ubl import ubl_type_code
from schemas import INVOICE_LIKE, DocType, DocumentFormat, Route

__all__ = ["detect_xml", "structured_detection", "xml_identity"]

_UBL_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:"
_UBL_VERSION = path("UBLVersionID")
_UBL_SHAPE = path("IssueDate")


def xml_identity(root: etree._Element) -> tuple[DocumentFormat, DocType, str | None, str | None]:
    """Say what a parsed XML document is: format, doc type, UNTDID 1001 type code and syntax.

    Args:
        root: The root element of a document parsed by `safe_xml.parse_xml`.

    Returns:
        ``(format, doc_type, type_code, syntax)``; ``XML_OTHER`` and ``UNKNOWN`` for XML that is neither
        UBL nor CII.
    """
    name = localname(root)
    if name in CII_ROOTS:
        code = cii_type_code(root)
        syntax = "zugferd-1.0" if name == "CrossIndustryDocument" else "cii-d16b"
        return DocumentFormat.CII, doc_type_for(name, code), code, syntax
    namespace = etree.QName(root).namespace or ""
    if namespace.startswith(_UBL_NAMESPACE) or (name in UBL_INVOICE_ROOTS and _UBL_SHAPE(root)):
        code = ubl_type_code(root) if name in UBL_INVOICE_ROOTS else None
        version = text_at(_UBL_VERSION, root)
        return DocumentFormat.UBL, doc_type_for(name, code), code, f"ubl-{version}" if version else "ubl"
    return DocumentFormat.XML_OTHER, DocType.UNKNOWN, None, None


def structured_detection(root: etree._Element, xml: bytes, pages: int | None, embedded: str | None) -> Detection:
    """A Detection for e-invoice XML, bare (`embedded` None) or attached to a hybrid PDF."""
    xml_format, doc_type, code, syntax = xml_identity(root)
    if xml_format is DocumentFormat.XML_OTHER:
        return unsupported("xml_not_einvoice", "XML is neither UBL nor CII.", DocumentFormat.XML_OTHER)
    invoice_like = doc_type in INVOICE_LIKE
    reasons = () if invoice_like else (reason("not_invoice", f"Document is a {doc_type.value}."),)
    return Detection(
        format=xml_format if embedded is None else DocumentFormat.HYBRID_PDF,
        doc_type=doc_type,
        route=Route.STRUCTURED if invoice_like else Route.NOT_INVOICE,
        type_code=code,
        syntax=syntax,
        pages=pages,
        embedded_xml=embedded,
        reasons=reasons,
        xml=xml if invoice_like else None,
    )


def detect_xml(content: bytes, limits: DetectLimits) -> Detection:
    """Detect a bare XML document through the hardened parser; a refused parse is an ``invalid`` Detection."""
    try:
        root = parse_xml(content, limits.max_xml_bytes)
    except XmlRefusedError as exc:
        return invalid(exc.code, exc.message, DocumentFormat.XML_OTHER)
    return structured_detection(root, content, None, None)
