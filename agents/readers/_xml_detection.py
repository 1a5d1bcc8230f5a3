"""What an XML document is: the syntax of a structured reader or other XML, its doc type and syntax, and the
Detection that follows.

Shared by bare XML, by the XML attached to a hybrid PDF (`_pdf_detection`) and by the XML inside a signed
envelope, so an e-invoice is judged the same way whichever envelope it came in. Only invoice-like documents
keep their XML on the Detection: a credit note is read, an order or a despatch advice is routed
``not_invoice`` and its bytes are dropped. Each syntax is judged by its reader's entry in
`agents.readers.registry` (recognise, refuse, identify): CII covers the order syntax too (Order-X) and the
release candidate of ZUGFeRD 1.0; a FatturaPA file may hold several invoices (bodies): its Detection lists
each one's type (`Detection.parts`), and one that the SdI would refuse is routed ``invalid``; so is a UBL
invoice whose blocks break its schema's order (`_ubl_order`, the entry's `misfit`: one pass over the root's
children). A refused document keeps what it is (doc type, type code, syntax) and, inside a hybrid PDF, the
hybrid PDF's format. The EN 16931 business rules are judged later, on what the reader reads
(`extract`).
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from agents.readers._detection import Detection, DetectLimits, Parsed, reason
from agents.readers._refusals import invalid, unsupported
from agents.readers.cades import EnvelopeError, unwrap_signed
from agents.readers.registry import reader_for
from agents.readers.safe_xml import XmlRefusedError, parse_xml
from schemas import INVOICE_LIKE, DocumentFormat, Route

__all__ = ["detect_signed", "detect_xml", "structured_detection"]


def structured_detection(root: etree._Element, xml: bytes, pages: int | None, embedded: str | None) -> Detection:
    """A Detection for e-invoice XML, bare (`embedded` None) or attached to a hybrid PDF: what the reader that
    recognises the root (`agents.readers.registry`) says it is, or why it is refused."""
    reader = reader_for(root)
    if reader is None:
        return unsupported("xml_not_einvoice", "XML is no e-invoice syntax a reader recognises.",
                           DocumentFormat.XML_OTHER)
    problem = None if reader.problem is None else reader.problem(root, len(xml))
    found = reader.identify(root)  # a refused document still says what it is (its type, its syntax)
    fmt = reader.format if embedded is None else DocumentFormat.HYBRID_PDF
    if problem is None and reader.misfit is not None:
        problem = reader.misfit(root, found)
    if problem is not None:
        return Detection(format=fmt, doc_type=found.doc_type, route=Route.INVALID, type_code=found.type_code,
                         syntax=found.syntax, pages=pages, embedded_xml=embedded, reasons=(problem,),
                         xml_format=reader.format)
    invoice_like = found.doc_type in INVOICE_LIKE or any(p.doc_type in INVOICE_LIKE for p in found.parts)
    reasons = () if invoice_like else (reason("not_invoice", f"Document is a {found.doc_type.value}."),)
    return Detection(
        format=fmt,
        doc_type=found.doc_type,
        route=Route.STRUCTURED if invoice_like else Route.NOT_INVOICE,
        type_code=found.type_code,
        syntax=found.syntax,
        pages=pages,
        embedded_xml=embedded,
        reasons=reasons,
        xml=xml if invoice_like else None,
        parts=found.parts if len(found.parts) > 1 else (),
        xml_format=reader.format,
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
