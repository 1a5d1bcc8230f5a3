"""Namespace-agnostic paths and value parsing shared by the UBL and CII readers.

The same business term sits under different namespace URIs depending on the syntax version (UBL 2.0/2.1,
CII D16B, ZUGFeRD 1.0), and some senders even rebind prefixes. Matching by local name makes one reader serve
them all. A path is compiled once, at import, into child steps that lxml's `iterchildren` walks with
``{*}name`` tags (any namespace or none): the tag test runs in C and only the children of the nodes on the
path are touched. That costs a fraction of an XPath ``*[local-name()='A']`` evaluation, which sets up a
fresh context and calls the predicate for every child. (lxml's ElementPath, ``find("{*}A/{*}B")``, walks
the same way but re-tokenises its paths whenever its cache of about 100 overflows, as the UBL and CII
readers together make it do.)

Alternatives (``A/B|C/B``, one per syntax generation) that differ in a single step become one walk whose
step accepts several tags: `iterchildren` yields the children matching any of them in document order, so
the walk returns exactly the XPath union, in document order. Other unions evaluate every alternative and,
when more than one matches, defer to the equivalent XPath union, compiled with the path, for the order.

A `Path` suits one lookup. The readers take many fields from the same node, and read them with
`agents.readers._fields.Fields`, which walks the shared steps once and gives the same matches in the same
order.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import chain

from lxml import etree

from schemas import AMOUNT_PLACES

__all__ = [
    "Match",
    "Path",
    "children",
    "first",
    "folded",
    "localname",
    "nodes",
    "parse_amount",
    "parse_date",
    "path",
    "text_at",
]

Match = etree._Element | str
Walk = tuple[tuple[tuple[str, ...], ...], str | None]  # per child step the tags it accepts; the attribute read


class Path:
    """A compiled path of local names; calling it on an element returns its matches in document order.

    Attributes:
        spec: The path as written (``A/B/@c``, alternatives separated by ``|``).
    """

    __slots__ = ("_alternatives", "_union", "_walk", "spec")

    def __init__(self, spec: str) -> None:
        alternatives: list[Walk] = []
        xpaths: list[str] = []
        for alternative in spec.split("|"):
            steps = alternative.strip().split("/")
            attribute = steps.pop()[1:] if steps[-1].startswith("@") else None
            if any(not step or step.startswith("@") or step in (".", "..") for step in steps):
                raise ValueError(f"unsupported path step in {spec!r}: only local names, '*' and a final '@a'")
            alternatives.append((tuple((f"{{*}}{step}",) for step in steps), attribute))
            xpath_steps = [step if step == "*" else f"*[local-name()='{step}']" for step in steps]
            xpaths.append("/".join([*xpath_steps, f"@{attribute}"] if attribute else xpath_steps))
        self.spec = spec
        self._alternatives = tuple(alternatives)
        self._walk = _merged(self._alternatives)
        self._union = None if self._walk is not None else etree.XPath(" | ".join(xpaths))

    def __repr__(self) -> str:
        return f"Path({self.spec!r})"

    def __call__(self, node: etree._Element) -> list[Match]:
        """Return the elements (or attribute values) the path reaches from `node`, in document order."""
        return list(self.iter(node))

    def iter(self, node: etree._Element) -> Iterator[Match]:
        """Iterate over the matches in document order, lazily unless two unmergeable alternatives match."""
        if self._walk is not None:
            return _walk(node, *self._walk)
        found: list[Iterator[Match]] = []
        for alternative in self._alternatives:
            matches = _walk(node, *alternative)
            head = next(matches, None)
            if head is not None:
                found.append(chain((head,), matches))
        if len(found) > 1 and self._union is not None:  # only XPath knows the order of such a union
            result = self._union(node)
            return (
                m if isinstance(m, etree._Element) else str(m) for m in (result if isinstance(result, list) else [])
            )
        return found[0] if found else iter(())

    def first_element(self, node: etree._Element) -> etree._Element | None:
        """The first element reached, if any."""
        return next((m for m in self.iter(node) if isinstance(m, etree._Element)), None)


def _merged(alternatives: tuple[Walk, ...]) -> Walk | None:
    """One walk equal to the union of `alternatives`, when they differ in one step at most (else None)."""
    steps, attribute = alternatives[0]
    if any(len(other) != len(steps) or other_attribute != attribute for other, other_attribute in alternatives):
        return None
    merged = [tuple(dict.fromkeys(tag for other, _ in alternatives for tag in other[i])) for i in range(len(steps))]
    if sum(len(tags) > 1 for tags in merged) > 1:
        return None  # A/B|C/D is not {A,C}/{B,D}: that would also reach A/D
    return tuple(merged), attribute


def _walk(node: etree._Element, steps: tuple[tuple[str, ...], ...], attribute: str | None) -> Iterator[Match]:
    """Walk the child axis one step at a time (C-level tag matching), then read the attribute if asked."""
    found: Iterator[etree._Element] = node.iterchildren(*steps[0]) if steps else iter((node,))
    for tags in steps[1:]:
        found = _children_of(found, tags)
    if attribute is None:
        return found
    return (value for element in found if (value := element.get(attribute)) is not None)


def _children_of(parents: Iterator[etree._Element], tags: tuple[str, ...]) -> Iterator[etree._Element]:
    """One more child step: the children matching `tags` of each parent, in document order."""
    for parent in parents:
        yield from parent.iterchildren(*tags)


def path(spec: str) -> Path:
    """Compile a slash-separated path of local names (``A/B/@c``) into a child-axis `Path`.

    Args:
        spec: Steps separated by ``/``; a step is a local name or ``*``, and the last may be ``@attribute``.
            Alternatives for different syntax versions are separated by ``|`` (their union is returned,
            in document order).

    Returns:
        The compiled path; calling it on an element returns a list of elements or strings.
    """
    return Path(spec)


def localname(element: etree._Element) -> str:
    """Return the local name of an element's tag (empty for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """Return the direct children of `element` whose local name is `name`, in document order."""
    return list(element.iterchildren(f"{{*}}{name}"))


def nodes(where: Path, node: etree._Element | None) -> list[etree._Element]:
    """Evaluate `where` on `node` and return the elements found, in document order."""
    if node is None:
        return []
    return [item for item in where(node) if isinstance(item, etree._Element)]


def first(where: Path, node: etree._Element | None) -> etree._Element | None:
    """Evaluate `where` on `node` and return the first element found, if any."""
    return None if node is None else where.first_element(node)


def text_at(where: Path, node: etree._Element | None) -> str | None:
    """Return the stripped text of the first non-empty match of `where` (element or attribute), or None."""
    if node is None:
        return None
    for item in where.iter(node):
        value = folded(item.text if isinstance(item, etree._Element) else item)
        if value is not None:
            return value
    return None


def folded(value: str | None) -> str | None:
    """Strip a value, folding its whitespace runs to single spaces if it spans lines; None when blank."""
    if value is None:
        return None
    stripped = value.strip()
    if not stripped:
        return None
    return " ".join(value.split()) if "\n" in value else stripped


_PLAIN_CHARS = 40  # no amount written plainly is longer: "-999999999999999.99999999" is 25


def parse_amount(value: str | None) -> Decimal | None:
    """Parse an XML decimal (``-1234.50``) into a finite Decimal; None when absent or not a number.

    A number written with an exponent or in more characters than any amount takes (which XML's decimal
    type never does) is kept only if it has at most `AMOUNT_PLACES` decimal places (``1E-999999`` has not);
    one too large for an invoice is kept, for the contract to refuse it with its reason."""
    if value is None:
        return None
    try:
        number = Decimal(value.strip().replace(" ", ""))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if (len(value) > _PLAIN_CHARS or "e" in value or "E" in value) and not _few_places(number):
        return None
    return number


def _few_places(number: Decimal) -> bool:
    """Whether a finite number has at most `AMOUNT_PLACES` decimal places (trailing zeros not counted)."""
    exponent = number.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -AMOUNT_PLACES


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
