"""The structured readers: one entry per e-invoice XML syntax, and the one place detect and extract find them.

An entry says which `DocumentFormat` the syntax is, the extractor name its readings carry (``ubl``, ``cii``,
``fatturapa``: in events and evaluation output, so never renamed), and four functions of a parsed root with
the same shape in every reader module: whether it `recognises` the root, what the document is (`identify`:
doc type, type code, syntax, the parts of a file of several invoices), the `problem` that refuses it at
detect time where the syntax has such a check, and `read`, which reads one invoice of it. Detect takes the
first entry that recognises a root, so an entry whose roots another also claims comes first (a ZUGFeRD
release candidate's root is ``Invoice``, as UBL's); extract takes the entry of the format detect named.

Adding a format is one reader module and one entry here (DEVELOPERS.md, "How to add a format").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from agents.readers._detection import XmlIdentity
from agents.readers._fatturapa_check import fatturapa_problem
from agents.readers.cii import cii_identity, is_cii, read_cii
from agents.readers.fatturapa import fatturapa_identity, is_fatturapa, read_fatturapa
from agents.readers.ubl import is_ubl, read_ubl, ubl_identity
from schemas import DocumentFormat, InvoiceData, Reason

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
        problem: Why detect refuses a recognised document (route ``invalid``), given its root and its XML's
            size, or None when it is sound; None for a syntax with no such check.
    """

    format: DocumentFormat
    extractor: str
    syntaxes: tuple[str, ...]
    recognises: Callable[[etree._Element], bool]
    identify: Callable[[etree._Element], XmlIdentity]
    read: Callable[[etree._Element, int], InvoiceData]
    problem: Callable[[etree._Element, int], Reason | None] | None = None


READERS: tuple[XmlReader, ...] = (
    XmlReader(DocumentFormat.CII, "cii", ("cii", "zugferd", "order-x"), is_cii, cii_identity, read_cii),
    XmlReader(DocumentFormat.FATTURAPA, "fatturapa", ("fatturapa",), is_fatturapa, fatturapa_identity,
              read_fatturapa, fatturapa_problem),
    XmlReader(DocumentFormat.UBL, "ubl", ("ubl",), is_ubl, ubl_identity, read_ubl),
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
