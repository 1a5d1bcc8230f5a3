"""Fields read several paths in one walk: the same matches, in the same order, as each `Path` on its own."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from lxml import etree

from agents.readers import _fields, cii, ubl
from agents.readers._fields import Fields, Found
from agents.readers._xpath import Match, first, nodes, path, text_at
from agents.readers.safe_xml import parse_xml

# Two syntax generations side by side, in any namespace or none, interleaved so that document order matters,
# with a comment and a processing instruction among the children (the hardened parser would drop them).
_MIXED = b"""<r xmlns:a="urn:a" xmlns:b="urn:b">
  <a:Doc><a:ID>1</a:ID><!-- c --><b:ID schemeID="x">  2 </b:ID></a:Doc>
  <HeaderDoc><ID>3</ID></HeaderDoc>
  <?pi x?>
  <b:Doc><ID>
     4
  </ID><Note/><ID schemeID="z"> </ID></b:Doc>
  <HeaderDoc><Other>5</Other><a:ID schemeID="y">6</a:ID></HeaderDoc>
  <a:Party><a:Name>7</a:Name><Nick>7b</Nick></a:Party>
  <Party><Nick>8</Nick><Name/></Party>
</r>"""

_SPECS = {
    "doc_id": "Doc/ID",
    "header_id": "HeaderDoc/ID",
    "either_id": "HeaderDoc/ID|Doc/ID",
    "scheme": "Doc/ID/@schemeID|HeaderDoc/ID/@schemeID",
    "names": "Party/Name|Party/Nick",
    "apart": "Doc/ID|Party/Nick",
    "depths": "Party|Doc/ID|HeaderDoc/Other",
    "doc": "Doc",
    "twice": "Doc/ID|Doc/ID",
    "missing": "Missing/ID|Doc/Missing",
    "note": "Doc/Note",
}


def _same(got: list[Match], want: list[Match]) -> bool:
    """Elements by identity (lxml returns the same proxy while one is alive), attribute values by equality."""
    if len(got) != len(want):
        return False
    return all(g is w if isinstance(w, etree._Element) else g == w for g, w in zip(got, want, strict=True))


def _assert_reads_like_paths(fields: Fields, node: etree._Element) -> None:
    found = fields.read(node)
    for name, spec in fields.specs.items():
        where = path(spec)
        assert found.text(name) == text_at(where, node), (fields, name, node.tag)
        assert found.first(name) is first(where, node), (fields, name, node.tag)
        assert _same(list(found.elements(name)), list(nodes(where, node))), (fields, name, node.tag)
        assert _same(found._matches.get(name, []), where(node)), (fields, name, node.tag)  # attributes too


def test_every_field_matches_its_path_in_document_order() -> None:
    root = etree.fromstring(_MIXED)
    fields = Fields(**_SPECS)
    for node in root.iter():
        _assert_reads_like_paths(fields, node)
    found = fields.read(root)
    assert [e.text for e in found.elements("names")] == ["7", "7b", "8", None]
    assert found.text("either_id") == "1"  # document order, not the order written
    assert found.text("scheme") == "x"
    assert [e.text for e in found.elements("twice")] == ["1", "  2 ", "\n     4\n  ", " "]
    assert found.text("missing") is None and found.elements("missing") == [] and found.first("missing") is None


def test_a_second_read_gives_the_same_matches() -> None:
    """Tags learnt on the first read (namespace included) lead where their local names do."""
    fields = Fields(**_SPECS)
    first_read = fields.read(etree.fromstring(_MIXED))
    root = etree.fromstring(_MIXED)
    second = fields.read(root)
    for name in _SPECS:
        assert second.text(name) == first_read.text(name)
        assert _same(list(second.elements(name)), list(nodes(path(_SPECS[name]), root)))


def _reader_fields() -> list[Fields]:
    return [value for module in (cii, ubl) for value in vars(module).values() if isinstance(value, Fields)]


def test_the_readers_fields_match_their_paths_on_corpus_documents(corpus: Path) -> None:
    documents = sorted(corpus.rglob("*.xml"))
    cii_documents = [d for d in documents if "uncefact" in d.name or d.name.endswith(".cii.xml")]
    assert _reader_fields() and cii_documents
    pick = random.Random(7)
    for document in pick.sample(documents, 4) + pick.sample(cii_documents, 2):
        root = parse_xml(document.read_bytes(), 1 << 26)
        for node in root.iter():
            if len(node):  # every element with children is tried as the node the fields are read from
                for fields in _reader_fields():
                    _assert_reads_like_paths(fields, node)


def test_none_reads_as_nothing() -> None:
    found = Fields(a="A").read(None)
    assert found.text("a") is None and found.first("a") is None and found.elements("a") == []


def test_a_misspelt_field_is_an_error_not_an_absent_value() -> None:
    found = Fields(a="A").read(etree.fromstring(b"<r><A>1</A></r>"))
    assert isinstance(found, Found)
    with pytest.raises(KeyError):
        found.text("b")
    with pytest.raises(KeyError):
        found.elements("b")


@pytest.mark.parametrize("spec", ["A/../B", "A/./B", "A//B", "@a/B", "@a", "A/*", "", "A|"])
def test_unsupported_steps_are_refused_at_compile_time(spec: str) -> None:
    with pytest.raises(ValueError, match="unsupported path step"):
        Fields(a=spec)


def test_learning_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fields, "_LEARN_LIMIT", 8)
    fields = Fields(a="A")
    many = "".join(f"<n{i}:X{i} xmlns:n{i}='urn:{i}'/>" for i in range(50))
    root = etree.fromstring(f"<r xmlns:z='urn:z'>{many}<z:A>1</z:A></r>".encode())
    for _ in range(2):
        assert fields.read(root).text("a") == "1"
    assert len(fields._trie) <= 8
