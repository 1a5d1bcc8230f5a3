"""Read the fields of one node (a line, a party, a settlement) in a single walk over the children they need.

Each `Path` walked on its own sets up an lxml `iterchildren` tag matcher per step, about a microsecond each,
and repeats the steps it shares with its neighbours: the fields of a CII line cost some fifteen matchers.
`Fields` compiles the paths of one node into a tree of local names; `read` takes the children of each node
on the way in one C call (a slice), reads each tag once and descends only into the children some path
continues through, appending every match to its field. With one `Path` per field the readers took about
1.55 times as long per document (median over 2,200 UBL and CII documents).

Each level of the tree also remembers, for the exact tags met there (namespace included), what their local
name led to, so a tag seen before costs one dict lookup instead of a split and two; that answer depends on
the tag alone, never on the document, and a level stops learning at `_LEARN_LIMIT` tags, so documents full
of made-up names cannot grow it. (Two threads learning the same tag at once store the same answer.)

The matches are exactly those of `Path`, in the same order. The walk is depth first, visiting children in
document order, so it meets elements in document order; each field's matches therefore come out in document
order, alternatives of different depths included, and no element is met twice. Like `Path`, a step matches
by local name in any namespace or none. Paths with ``*`` steps are not supported (no reader needs one).
"""

from __future__ import annotations

from lxml import etree

from agents.readers._xpath import Match

__all__ = ["Fields", "Found"]

End = tuple[str, str | None]  # a field whose path ends here, and the attribute it reads (None: the element)
Branch = tuple["Trie | None", tuple[End, ...]]
Trie = dict[str, Branch | None]  # by local name, then by exact tag as met (None: no path goes through it)

_LEARN_LIMIT = 1024
_UNSEEN: Branch = (None, ())


class Found:
    """The matches `Fields.read` found under one node, by field, each list in document order."""

    __slots__ = ("_matches", "_of")

    def __init__(self, of: Fields, matches: dict[str, list[Match]]) -> None:
        self._of = of
        self._matches = matches

    @property
    def fields(self) -> Fields:
        """The `Fields` that read these matches."""
        return self._of

    def _absent(self, field: str) -> None:
        if field not in self._of.specs:
            raise KeyError(field)  # a misspelt field would otherwise read as absent

    def text(self, field: str) -> str | None:
        """The folded text of the field's first match with non-blank text, as `text_at` reads it."""
        matches = self._matches.get(field)
        if matches is None:
            self._absent(field)
            return None
        for match in matches:  # `folded`, inlined: the readers call this some 60 times a document
            value = match if isinstance(match, str) else match.text
            if value is not None and (stripped := value.strip()):
                return " ".join(value.split()) if "\n" in value else stripped
        return None

    def first(self, field: str) -> etree._Element | None:
        """The field's first element, if any (as `first`)."""
        matches = self._matches.get(field)
        if matches is None:
            self._absent(field)
            return None
        for match in matches:
            if not isinstance(match, str):
                return match
        return None

    def elements(self, field: str) -> list[etree._Element]:
        """All the field's elements, in document order (as `nodes`)."""
        matches = self._matches.get(field)
        if matches is None:
            self._absent(field)
            return []
        return [m for m in matches if not isinstance(m, str)]


class Fields:
    """Named paths read from the same node in one walk.

    Attributes:
        specs: Field name to path, written as for `path` (``A/B/@c``, alternatives separated by ``|``).
        names: The field names, in the order declared.
    """

    __slots__ = ("_trie", "names", "specs")

    def __init__(self, **specs: str) -> None:
        self.specs = specs
        self.names = tuple(specs)
        self._trie = _compiled(specs)

    def __repr__(self) -> str:
        return f"Fields({', '.join(self.specs)})"

    def read(self, node: etree._Element | None) -> Found:
        """Collect every field's matches under `node` (none when `node` is None)."""
        matches: dict[str, list[Match]] = {}
        if node is not None:
            _collect(node, self._trie, matches)
        return Found(self, matches)


class _Level:
    """One level of the tree of local names while it is built: the names below it and the paths ending here."""

    __slots__ = ("ends", "next")

    def __init__(self) -> None:
        self.next: dict[str, _Level] = {}
        self.ends: list[End] = []

    def frozen(self) -> Trie:
        return {name: (level.frozen() if level.next else None, tuple(level.ends)) for name, level in self.next.items()}


def _compiled(specs: dict[str, str]) -> Trie:
    """Merge every alternative of every field into one tree of local names."""
    top = _Level()
    for field, spec in specs.items():
        for alternative in dict.fromkeys(a.strip() for a in spec.split("|")):  # a repeated alternative is one
            steps = alternative.split("/")
            attribute = steps.pop()[1:] if steps[-1].startswith("@") else None
            if not steps or any(not s or s.startswith("@") or s in (".", "..", "*") for s in steps):
                raise ValueError(f"unsupported path step in {spec!r}: only local names and a final '@a'")
            level = top
            for step in steps:
                level = level.next.setdefault(step, _Level())
            level.ends.append((field, attribute))
    return top.frozen()


def _learn(trie: Trie, tag: str) -> Branch | None:
    """What `tag` leads to at this level (by its local name), remembered under the exact tag."""
    # comments, processing instructions and entities have a function for a tag, and no name
    branch = trie.get(tag[tag.rfind("}") + 1 :]) if isinstance(tag, str) else None
    if len(trie) < _LEARN_LIMIT:
        trie[tag] = branch
    return branch


def _collect(node: etree._Element, trie: Trie, matches: dict[str, list[Match]]) -> None:
    """Append the matches under `node` to `matches`, depth first in document order."""
    # A slice lists the children in one C call, some 10% faster than iterating (lxml-stubs lack its overload).
    for child in node[:]:  # type: ignore[index]
        tag = child.tag
        branch = trie.get(tag, _UNSEEN)
        if branch is _UNSEEN:
            branch = _learn(trie, tag)
        if branch is None:
            continue
        deeper, ends = branch
        for field, attribute in ends:
            match: Match | None = child if attribute is None else child.get(attribute)
            if match is not None:
                found = matches.get(field)
                if found is None:
                    matches[field] = [match]
                else:
                    found.append(match)
        if deeper is not None:
            _collect(child, deeper, matches)
