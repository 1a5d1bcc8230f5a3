"""What an XML document is: UBL, CII, FatturaPA or other XML, its doc type and syntax, and the Detection
that follows.

Shared by bare XML, by the XML attached to a hybrid PDF (`_pdf_detection`) and by the XML inside a signed
envelope, so an e-invoice is judged the same way whichever envelope it came in. Only invoice-like documents
keep their XML on the Detection: a credit note is read, an order or a despatch advice is routed
``not_invoice`` and its bytes are dropped. CII covers the order syntax too (Order-X, whose root names the
message structure) and the release candidate of ZUGFeRD 1.0 (2013-2014), whose root is ``Invoice`` in the
``CBFBUY:5`` namespace but whose elements are ZUGFeRD 1.0's. A FatturaPA file may hold several invoices
(bodies): its Detection lists each one's type (`Detection.parts`), and one that the SdI would refuse is
routed ``invalid``; so is a UBL invoice whose blocks break its schema's order (`_ubl_order`: one pass over
the root's children). The EN 16931 business rules are judged later, on what the reader reads (`extract`).
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from agents.readers._detection import Detection, DetectLimits, Parsed, Part, reason
from agents.readers._doctypes import CII_ROOTS, ORDER_X_ROOT, UBL_INVOICE_ROOTS, doc_type_for, order_x_doc_type
from agents.readers._fatturapa_check import fatturapa_problem
from agents.readers._refusals import invalid, unsupported
from agents.readers._ubl_order import ubl_order_problem
from agents.readers._xpath import localname, path, text_at
from agents.readers.cades import EnvelopeError, unwrap_signed
from agents.readers.cii import cii_type_code
from agents.readers.fatturapa import bodies, doc_type_for_code, fatturapa_syntax, is_fatturapa
from agents.readers.safe_xml import XmlRefusedError, parse_xml
from agents.readers.ubl import ubl_type_code
from schemas import INVOICE_LIKE, DocType, DocumentFormat, Route

__all__ = ["detect_signed", "detect_xml", "structured_detection", "xml_identity", "xml_reader"]

_UBL_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:"
_UBL_VERSION = path("UBLVersionID")
_UBL_SHAPE = path("IssueDate")
_ZUGFERD_RC_TAG = "{urn:un:unece:uncefact:data:standard:CBFBUY:5}"  # how lxml spells the namespace in a tag
_FATTURAPA_CODE = path("DatiGenerali/DatiGeneraliDocumento/TipoDocumento")


def xml_reader(root: etree._Element) -> str | None:
    """Which structured reader reads a parsed document: ``cii``, ``ubl``, ``fatturapa``, or None for none."""
    name = localname(root)
    if name in CII_ROOTS or _is_zugferd_rc(root):
        return "cii"
    if is_fatturapa(root):
        return "fatturapa"
    if name in UBL_INVOICE_ROOTS:
        return "ubl"
    return None


def _is_zugferd_rc(root: etree._Element) -> bool:
    tag = root.tag
    return isinstance(tag, str) and tag.startswith(_ZUGFERD_RC_TAG)


def _fatturapa_parts(root: etree._Element) -> tuple[Part, ...]:
    simplified = localname(root) == "FatturaElettronicaSemplificata"
    parts = []
    for body in bodies(root):
        code = text_at(_FATTURAPA_CODE, body)
        parts.append(Part(doc_type_for_code(code, simplified) or DocType.UNKNOWN, code))
    return tuple(parts)


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
    if name == ORDER_X_ROOT:
        code = cii_type_code(root)
        return DocumentFormat.CII, order_x_doc_type(code), code, "order-x"
    if _is_zugferd_rc(root):
        code = cii_type_code(root)
        return DocumentFormat.CII, doc_type_for(name, code), code, "zugferd-rc"
    if is_fatturapa(root):
        parts = _fatturapa_parts(root)
        first = parts[0] if parts else Part(DocType.UNKNOWN, None)
        return DocumentFormat.FATTURAPA, first.doc_type, first.type_code, fatturapa_syntax(root)
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
        return unsupported("xml_not_einvoice", "XML is neither UBL, CII nor FatturaPA.", DocumentFormat.XML_OTHER)
    parts: tuple[Part, ...] = ()
    if xml_format is DocumentFormat.FATTURAPA:
        problem = fatturapa_problem(root, len(xml))
        if problem is not None:
            return invalid(problem.code, problem.message, DocumentFormat.FATTURAPA)
        parts = _fatturapa_parts(root)
    elif xml_format is DocumentFormat.UBL and doc_type in INVOICE_LIKE:
        misplaced = ubl_order_problem(root)
        if misplaced is not None:  # its receiver's schema check would reject it before any business rule
            fmt = xml_format if embedded is None else DocumentFormat.HYBRID_PDF
            return Detection(format=fmt, doc_type=doc_type, route=Route.INVALID, type_code=code, syntax=syntax,
                             pages=pages, embedded_xml=embedded, reasons=(misplaced,), xml_format=xml_format)
    invoice_like = doc_type in INVOICE_LIKE or any(p.doc_type in INVOICE_LIKE for p in parts)
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
        parts=parts if len(parts) > 1 else (),
        xml_format=xml_format,
        parsed=Parsed(root, len(xml)) if invoice_like else None,
    )


def detect_xml(content: bytes, limits: DetectLimits) -> Detection:
    """Detect a bare XML document through the hardened parser; a refused parse is an ``invalid`` Detection."""
    try:
        root = parse_xml(content, limits.max_xml_bytes)
    except XmlRefusedError as exc:
        return invalid(exc.code, exc.message, DocumentFormat.XML_OTHER)
    return structured_detection(root, content, None, None)


def detect_signed(content: bytes, limits: DetectLimits) -> Detection:
    """Detect a CAdES-signed document: unwrap it, detect the XML inside, and record the signature's state.

    A broken or tampered envelope is ``invalid``; a sound envelope whose signature does not verify is read
    like any other, with a ``signature_not_verified`` reason that the score stage holds for review.
    """
    try:
        signed = unwrap_signed(content, limits.max_xml_bytes)
    except EnvelopeError as exc:
        return invalid(exc.code, exc.message, DocumentFormat.UNSUPPORTED)
    inner = detect_xml(signed.content, limits)
    if signed.verified:
        note = reason("signed_cades", "The document is CAdES-signed and its signature verifies.")
    else:
        failed = f"The document is CAdES-signed but its signature fails: {signed.detail}"
        note = reason("signature_not_verified", failed)
    return replace(inner, reasons=(*inner.reasons, note), signed=True)
