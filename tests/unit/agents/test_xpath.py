"""The namespace-agnostic paths the UBL and CII readers walk: the same matches, in the same order, as XPath."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from agents.readers._xpath import children, first, nodes, parse_amount, path, text_at

# Two syntax generations side by side, in any namespace or none, interleaved so document order matters.
_MIXED = b"""<r xmlns:a="urn:a" xmlns:b="urn:b">
  <a:Doc><a:ID>1</a:ID><b:ID schemeID="x">  2 </b:ID></a:Doc>
  <HeaderDoc><ID>3</ID></HeaderDoc>
  <b:Doc><ID>
     4
  </ID><Note/></b:Doc>
  <HeaderDoc><Other>5</Other><a:ID schemeID="y">6</a:ID></HeaderDoc>
  <a:Party><a:Name>7</a:Name></a:Party>
  <Party><Nick>8</Nick></Party>
</r>"""

_SPECS = (
    "Doc/ID",
    "HeaderDoc/ID",
    "Doc/ID|HeaderDoc/ID",  # one step differs: a single walk
    "Doc/ID/@schemeID|HeaderDoc/ID/@schemeID",
    "Party/Name|Party/Nick",
    "Doc/ID|Party/Nick",  # two steps differ: evaluated apart, ordered by XPath
    "Doc/ID|HeaderDoc/Other|Party",  # different depths
    "Doc/*",
    "Doc",
    "Missing/ID|Doc/Missing",
)


def _reference(spec: str) -> list[object]:
    def step(name: str) -> str:
        return name if name.startswith("@") or name == "*" else f"*[local-name()='{name}']"

    union = " | ".join("/".join(step(s) for s in alt.split("/")) for alt in spec.split("|"))
    found = etree.XPath(union)(etree.fromstring(_MIXED))
    assert isinstance(found, list)
    return [item if isinstance(item, etree._Element) else str(item) for item in found]


@pytest.mark.parametrize("spec", _SPECS)
def test_matches_are_the_xpath_local_name_union_in_document_order(spec: str) -> None:
    root = etree.fromstring(_MIXED)
    got = path(spec)(root)
    want = _reference(spec)
    as_text = [(etree.tostring(m) if isinstance(m, etree._Element) else m) for m in got]
    assert as_text == [(etree.tostring(m) if isinstance(m, etree._Element) else m) for m in want]


def test_text_first_element_and_children_helpers() -> None:
    root = etree.fromstring(_MIXED)
    assert text_at(path("Doc/ID"), root) == "1"
    assert text_at(path("HeaderDoc/ID|Doc/ID"), root) == "1"  # document order, not the order written
    assert text_at(path("Doc/ID/@schemeID"), root) == "x"
    assert text_at(path("Doc/ID|Party/Nick"), root) == "1"
    assert text_at(path("Missing"), root) is None
    assert text_at(path("Doc/ID"), None) is None
    element = first(path("Party"), root)
    assert element is not None and element.tag == "{urn:a}Party"
    assert [e.tag for e in nodes(path("Doc"), root)] == ["{urn:a}Doc", "{urn:b}Doc"]
    assert [e.tag for e in children(root, "HeaderDoc")] == ["HeaderDoc", "HeaderDoc"]


def test_whitespace_is_folded_as_before() -> None:
    root = etree.fromstring(_MIXED)
    found = nodes(path("Doc/ID"), root)
    assert [text_at(path("ID"), e.getparent()) for e in found] == ["1", "1", "4"]
    assert text_at(path("Doc/ID"), found[2].getparent()) is None


@pytest.mark.parametrize("spec", ["A/../B", "A/./B", "A//B", "@a/B"])
def test_unsupported_steps_are_refused_at_compile_time(spec: str) -> None:
    with pytest.raises(ValueError, match="unsupported path step"):
        path(spec)


def test_an_xml_amount_with_more_places_than_any_invoice_is_not_read() -> None:
    assert parse_amount("1E-999999") is None and parse_amount("0." + "0" * 50 + "1") is None
    assert parse_amount("1E+999999") == Decimal("1E+999999")  # kept: the contract refuses it with its reason
    assert parse_amount(" 1234.50 ") == Decimal("1234.50") and parse_amount("1.5E+2") == Decimal(150)
    assert parse_amount("12." + "0" * 60) == Decimal(12)  # trailing zeros are no places
