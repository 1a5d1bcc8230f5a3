"""Namespace-agnostic paths and value parsing shared by the UBL and CII readers.

The same business term sits under different namespace URIs depending on the syntax version (UBL 2.0/2.1,
CII D16B, ZUGFeRD 1.0), and some senders even rebind prefixes. Matching by local name makes one reader serve
them all. Paths are compiled once, at import, into lxml XPath objects that only walk the child axis, so an
evaluation touches a handful of nodes rather than the whole tree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

__all__ = [
    "children",
    "first",
    "localname",
    "nodes",
    "parse_amount",
    "parse_date",
    "path",
    "text_at",
]


def _compile_steps(spec: str) -> str:
    steps = []
    for step in spec.strip().split("/"):
        if step.startswith("@") or step in ("*", "..", "."):
            steps.append(step)
        else:
            steps.append(f"*[local-name()='{step}']")
    return "/".join(steps)


def path(spec: str) -> etree.XPath:
    """Compile a slash-separated path of local names (``A/B/@c``) into a child-axis XPath.

    Args:
        spec: Steps separated by ``/``; a step is a local name, ``*``, ``..`` or ``@attribute``.
            Alternatives for different syntax versions are separated by ``|`` (their union is returned,
            in document order).

    Returns:
        The compiled XPath; evaluating it on an element returns a list of elements or strings.
    """
    return etree.XPath(" | ".join(_compile_steps(alt) for alt in spec.split("|")))


def localname(element: etree._Element) -> str:
    """Return the local name of an element's tag (empty for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """Return the direct children of `element` whose local name is `name`, in document order."""
    suffix = "}" + name
    return [c for c in element if isinstance(c.tag, str) and (c.tag.endswith(suffix) or c.tag == name)]


def nodes(xpath: etree.XPath, node: etree._Element | None) -> list[etree._Element]:
    """Evaluate `xpath` on `node` and return the elements found, in document order."""
    if node is None:
        return []
    found = xpath(node)
    if not isinstance(found, list):
        return []
    return [item for item in found if isinstance(item, etree._Element)]


def first(xpath: etree.XPath, node: etree._Element | None) -> etree._Element | None:
    """Evaluate `xpath` on `node` and return the first element found, if any."""
    found = nodes(xpath, node)
    return found[0] if found else None


def text_at(xpath: etree.XPath, node: etree._Element | None) -> str | None:
    """Return the stripped text of the first non-empty match of `xpath` (element or attribute), or None."""
    if node is None:
        return None
    found = xpath(node)
    if not isinstance(found, list):
        return None
    for item in found:
        value = item.text if isinstance(item, etree._Element) else str(item)
        if value is not None and value.strip():
            return " ".join(value.split()) if "\n" in value else value.strip()
    return None


def parse_amount(value: str | None) -> Decimal | None:
    """Parse an XML decimal (``-1234.50``) into a finite Decimal; None when absent or not a number."""
    if value is None:
        return None
    try:
        number = Decimal(value.strip().replace(" ", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_date(value: str | None) -> date | None:
    """Parse an ISO date (UBL), a UNTDID 2379 format-102 date (CII ``YYYYMMDD``) or a date-time prefix."""
    if value is None:
        return None
    raw = value.strip()
    try:
        if len(raw) == 8 and raw.isdigit():
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None
