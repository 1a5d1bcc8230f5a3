"""The structured readers: one entry per e-invoice XML syntax, and the one place detect and extract find them.

An entry says which `DocumentFormat` the syntax is, the extractor name its readings carry (``ubl``, ``cii``,
``fatturapa``: in events and evaluation output, so never renamed), and four functions of a parsed root with
the same shape in every reader module: whether it `recognises` the root, what the document is (`identify`:
doc type, type code, syntax, the parts of a file of several invoices), the `problem` that refuses it at
detect time where the syntax has such a check, and `read`, which reads one invoice of it. Two optional
hooks serve the syntaxes that have them: `misfit` refuses an identified document at detect time keeping
what it is (UBL's block order, `_ubl_order`), and `judged` reads an invoice and judges it against its
standard's fatal rules in the same walk (EN 16931 for UBL and CII, `_en16931_check`), which extract turns
into route ``invalid``.

Detect takes the first entry that recognises a root, so an entry whose roots another also claims comes first
(a ZUGFeRD release candidate's root is ``Invoice``, as UBL's); extract takes the entry of the format detect
named.

Adding a format is one reader module and one entry here (DEVELOPERS.md, "How to add a format").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from agents.readers._detection import XmlIdentity
from agents.readers._en16931_check import en16931_reasons
from agents.readers._en16931_terms import CoreTerms
from agents.readers._fatturapa_check import fatturapa_problem
from agents.readers._ubl_order import ubl_order_problem
from agents.readers.cii import cii_identity, is_cii, read_cii, read_cii_terms
from agents.readers.fatturapa import fatturapa_identity, is_fatturapa, read_fatturapa
from agents.readers.ubl import is_ubl, read_ubl, read_ubl_terms, ubl_identity
from schemas import INVOICE_LIKE, DocumentFormat, InvoiceData, Reason

__all__ = ["READERS", "XmlReader", "reader_for", "reader_of", "reader_of_syntax"]


@dataclass(frozen=True, slots=True)
class XmlReader:
    """One structured reader: a syntax, how it is recognised and identified, and how it is read.

    Attributes:
        format: The syntax's format (`Detection.xml_format`, and the format of a bare document of it).
        extractor: The extractor name of its readings (`LocalExtraction.extractor`).
        syntaxes: How the syntax names `identify` gives begin (how a version-1 event, which lacks
            `xml_format`, names the format).
        recognises: Whether a parsed root is of this syntax.
        identify: What a recognised document is: doc type, type code, syntax, and the parts of a file of
            several invoices.
        read: Read one invoice of a recognised document, by its 1-based part (a syntax of one invoice a file
            ignores it).
        problem: Why detect refuses a recognised document (route ``invalid``, keeping what `identify` says
            it is), given its root and its XML's size, or None when it is sound; None for a syntax with no
            such check.
        misfit: Why detect refuses an identified document (route ``invalid``, keeping what it is), given its
            root and identity, or None when it is sound; None for a syntax with no such check.
        judged: Read one invoice as `read` does and judge it against its standard's fatal rules in the same
            walk: the invoice and the reasons it breaks them (empty: none); None for a syntax with no such
            rules, whose readings are never judged (`read_judged`).
    """

    format: DocumentFormat
    extractor: str
    syntaxes: tuple[str, ...]
    recognises: Callable[[etree._Element], bool]
    identify: Callable[[etree._Element], XmlIdentity]
    read: Callable[[etree._Element, int], InvoiceData]
    problem: Callable[[etree._Element, int], Reason | None] | None = None
    misfit: Callable[[etree._Element, XmlIdentity], Reason | None] | None = None
    judged: Callable[[etree._Element, int], tuple[InvoiceData, tuple[Reason, ...]]] | None = None

    def read_judged(self, root: etree._Element, part: int) -> tuple[InvoiceData, tuple[Reason, ...]]:
        """One invoice of a recognised document and the fatal rules of its standard it breaks (`judged`; none
        for a syntax without such rules)."""
        return (self.read(root, part), ()) if self.judged is None else self.judged(root, part)


def _en16931(
    read_terms: Callable[[etree._Element, int], tuple[InvoiceData, CoreTerms]],
) -> Callable[[etree._Element, int], tuple[InvoiceData, tuple[Reason, ...]]]:
    """A `judged` hook: read with the EN 16931 terms, and judge the rules on what the reader read."""

    def judged(root: etree._Element, part: int) -> tuple[InvoiceData, tuple[Reason, ...]]:
        invoice, terms = read_terms(root, part)
        return invoice, en16931_reasons(invoice, terms)

    return judged


def _ubl_misfit(root: etree._Element, identity: XmlIdentity) -> Reason | None:
    """An invoice-like UBL document whose blocks break its schema's order (its receiver's schema check would
    reject it before any business rule)."""
    return ubl_order_problem(root) if identity.doc_type in INVOICE_LIKE else None


READERS: tuple[XmlReader, ...] = (
    XmlReader(DocumentFormat.CII, "cii", ("cii", "zugferd", "order-x"), is_cii, cii_identity, read_cii,
              judged=_en16931(read_cii_terms)),
    XmlReader(DocumentFormat.FATTURAPA, "fatturapa", ("fatturapa",), is_fatturapa, fatturapa_identity,
              read_fatturapa, fatturapa_problem),
    XmlReader(DocumentFormat.UBL, "ubl", ("ubl",), is_ubl, ubl_identity, read_ubl, misfit=_ubl_misfit,
              judged=_en16931(read_ubl_terms)),
)
"""In the order detect asks them: the first that recognises a root is its reader."""

_BY_FORMAT = {reader.format: reader for reader in READERS}


def reader_for(root: etree._Element) -> XmlReader | None:
    """The reader of a parsed document: the first entry that recognises its root (None: no e-invoice)."""
    return next((reader for reader in READERS if reader.recognises(root)), None)


def reader_of(fmt: DocumentFormat | None) -> XmlReader | None:
    """The reader of an XML format detect named (None for a format no structured reader reads)."""
    return None if fmt is None else _BY_FORMAT.get(fmt)


def reader_of_syntax(syntax: str) -> XmlReader | None:
    """The reader whose syntaxes a syntax name begins with (None when none does)."""
    return next((reader for reader in READERS if syntax.startswith(reader.syntaxes)), None)
