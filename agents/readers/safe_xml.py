"""Parse untrusted XML without letting it reach the file system, the network or unbounded memory.

Invoices arrive from strangers, and XML is the classic carrier of XXE (`<!ENTITY x SYSTEM "file:///...">`),
billion-laughs and quadratic-blowup attacks. An e-invoice never needs a DTD, so we refuse any DOCTYPE outright,
twice: once by scanning the prolog bytes before libxml2 sees them, and again on the parsed tree's docinfo. The
lxml parser itself is hardened as well (no entity resolution, no DTD loading, no network, libxml2's default
size limits kept), so each of the three layers alone would stop the known attacks.
"""

from __future__ import annotations

import threading

from lxml import etree

from agents.readers._errors import RefusedError

__all__ = ["XmlRefusedError", "hardened_parser", "parse_xml", "scan_prolog"]

_LOCAL = threading.local()


def hardened_parser() -> etree.XMLParser:
    """The hardened lxml parser of the calling thread (lxml parsers must not be shared across threads)."""
    parser: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
            # whitespace between elements is layout, never a value (the readers fold every text they take):
            # dropping it spares libxml2 a text node per indented line, about 15% of the parse of an e-invoice
            remove_blank_text=True,
        )
        _LOCAL.parser = parser
    return parser


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff", b"<\x00?\x00", b"\x00<\x00?")
_PROLOG_SCAN_LIMIT = 64 * 1024


class XmlRefusedError(RefusedError):
    """The XML was refused; `code` is the stable reason code (a Reason.code)."""


def _prolog_text(data: bytes) -> str:
    """Decode the start of the document well enough to read its prolog markup."""
    head = data[:_PROLOG_SCAN_LIMIT]
    if head.startswith(_UTF16_MARKS[0]) or head.startswith(_UTF16_MARKS[2]):
        return head.decode("utf-16-le", errors="replace")
    if head.startswith(_UTF16_MARKS[1]) or head.startswith(_UTF16_MARKS[3]):
        return head.decode("utf-16-be", errors="replace")
    # Every other encoding libxml2 accepts is ASCII-compatible for markup characters.
    return head.decode("latin-1")


def scan_prolog(data: bytes) -> None:
    """Refuse a document whose prolog (what precedes the root element) declares a DOCTYPE.

    Args:
        data: The raw XML bytes.

    Raises:
        XmlRefusedError: ``xml_doctype_forbidden`` when a DOCTYPE is declared, ``xml_malformed`` when the
            prolog never reaches a root element within the scan window.
    """
    text = _prolog_text(data).lstrip("\ufeff")
    pos, end = 0, len(text)
    while pos < end:
        if text[pos].isspace():
            pos += 1
            continue
        if text.startswith("<?", pos):
            terminator = "?>"
        elif text.startswith("<!--", pos):
            terminator = "-->"
        elif text.startswith("<!", pos):
            # <!DOCTYPE (any case) or any other declaration: an e-invoice has no use for either.
            raise XmlRefusedError("xml_doctype_forbidden", "XML declares a DOCTYPE; DTDs are refused.")
        elif text.startswith("<\x00", pos) or text.startswith("\x00", pos):
            # A wide encoding we did not decode (UTF-32...): we cannot vouch for its prolog, so refuse it.
            raise XmlRefusedError("xml_malformed", "XML is in an unsupported encoding.")
        else:
            return
        close = text.find(terminator, pos + 2)
        if close < 0:
            break
        pos = close + len(terminator)
    # No root element in sight: either the document is short and the parser will say it is malformed, or
    # the prolog is longer than any honest document's and hides what follows.
    if len(data) > _PROLOG_SCAN_LIMIT:
        raise XmlRefusedError("xml_malformed", "XML prolog is too long.")


def parse_xml(data: bytes, max_bytes: int) -> etree._Element:
    """Parse untrusted XML bytes with the hardened parser and return the root element.

    Args:
        data: The raw XML bytes (any encoding libxml2 detects from the BOM or declaration).
        max_bytes: The largest document accepted.

    Returns:
        The root element.

    Raises:
        XmlRefusedError: With code ``xml_too_large``, ``xml_doctype_forbidden`` or ``xml_malformed``.
    """
    if len(data) > max_bytes:
        raise XmlRefusedError("xml_too_large", f"XML of {len(data)} bytes exceeds the {max_bytes}-byte limit.")
    scan_prolog(data)
    try:
        root = etree.fromstring(data, parser=hardened_parser())
    except etree.XMLSyntaxError as exc:
        if "huge" in str(exc).lower() or "amplification" in str(exc).lower():  # libxml2's own size guards
            raise XmlRefusedError("xml_too_large", "XML exceeds the parser's size limits.") from exc
        raise XmlRefusedError("xml_malformed", f"XML is not well-formed (line {exc.lineno}).") from exc
    except ValueError as exc:  # e.g. an unknown encoding declaration
        raise XmlRefusedError("xml_malformed", "XML could not be decoded.") from exc
    if root is None:
        raise XmlRefusedError("xml_malformed", "XML has no root element.")
    docinfo = root.getroottree().docinfo
    doctype: str = getattr(docinfo, "doctype", "")  # not in lxml-stubs
    if doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefusedError("xml_doctype_forbidden", "XML declares a DOCTYPE; DTDs are refused.")
    return root
