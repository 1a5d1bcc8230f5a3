"""Tenant policies: what each customer lets the pipeline approve without a human.

A policy book is one YAML file: a `version`, a `default` policy for tenants it does not name, a map of
`tenants` that override the default key by key (mapping values such as `field_weights` merge over the
default's), and `refuse_unknown` to dead-letter tenants it does not name instead. It is validated by pydantic
when the process starts; an error names the file and the line of the offending entry (read from the YAML
node marks), so an operator can fix it without guessing. Every resolved tenant policy carries a version made
of the book's explicit `version` and a short hash of the tenant's effective settings, so a scored invoice
says exactly which policy decided it. `PolicyReloader` picks up edits while the process runs and keeps the
previous book when an edit is bad. Nothing here imports the rest of invoiceflow.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config._policy_model import KNOWN_FIELDS, RULE_CODES, Action, PolicyBook, PolicyError, TenantPolicy

__all__ = [
    "KNOWN_FIELDS",
    "RULE_CODES",
    "Action",
    "PolicyBook",
    "PolicyError",
    "PolicyReloader",
    "TenantPolicy",
    "load_policy_book",
    "parse_policy_book",
]

_log = logging.getLogger(__name__)

_BUILTIN = "default_policy.yaml"


def load_policy_book(path: Path | None, *, refuse_unknown: bool | None = None) -> PolicyBook:
    """Load and validate a policy file; None loads the built-in default policy.

    Args:
        path: The YAML file, or None for the packaged `default_policy.yaml`.
        refuse_unknown: When set, overrides the file's `refuse_unknown` (e.g. from Settings).

    Raises:
        PolicyError: The file is unreadable or invalid; the message names the file and line.
    """
    if path is None:
        text = resources.files("config").joinpath(_BUILTIN).read_text(encoding="utf-8")
        return parse_policy_book(text, f"<builtin {_BUILTIN}>", refuse_unknown=refuse_unknown)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), [(None, f"cannot read: {exc}")]) from exc
    return parse_policy_book(text, str(path), refuse_unknown=refuse_unknown)


def parse_policy_book(text: str, source: str, *, refuse_unknown: bool | None = None) -> PolicyBook:
    """Parse and validate the text of a policy file.

    Args:
        text: The YAML text.
        source: Name used in error messages (usually the file path).
        refuse_unknown: When set, overrides the file's `refuse_unknown`.

    Raises:
        PolicyError: Bad YAML, a duplicate key, or an invalid entry, with its line.
    """
    root, data = _compose(text, source)
    if not isinstance(data, dict):
        raise PolicyError(source, [(_line(root), "the file must be a mapping with version, default, tenants")])
    problems: list[tuple[int | None, str]] = []
    unknown = sorted(set(map(str, data)) - {"version", "default", "tenants", "refuse_unknown"})
    for key in unknown:
        problems.append((_line(_lookup(root, (key,))), f"unknown key {key!r}"))
    version = data.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 64:
        problems.append((_line(_lookup(root, ("version",)) or root), "'version' must be a string of 1-64 chars"))
    default_raw = data.get("default") or {}
    tenants_raw = data.get("tenants") or {}
    if not isinstance(default_raw, dict):
        problems.append((_line(_lookup(root, ("default",))), "'default' must be a mapping"))
        default_raw = {}
    if not isinstance(tenants_raw, dict):
        problems.append((_line(_lookup(root, ("tenants",))), "'tenants' must be a mapping of tenant ids"))
        tenants_raw = {}
    if problems:
        raise PolicyError(source, problems)
    label = str(version)
    default = _tenant(root, ("default",), default_raw, {}, "default", label, problems)
    tenants: dict[str, TenantPolicy] = {}
    for name, raw in tenants_raw.items():
        path = ("tenants", name)
        if not isinstance(raw, dict):
            problems.append((_line(_lookup(root, path)), f"tenant {name!r} must be a mapping"))
            continue
        policy = _tenant(root, path, raw, default_raw, str(name), label, problems)
        if policy is not None:
            tenants[str(name)] = policy
    refuse = data.get("refuse_unknown", False)
    if not isinstance(refuse, bool):
        problems.append((_line(_lookup(root, ("refuse_unknown",))), "'refuse_unknown' must be true or false"))
    if problems or default is None:
        raise PolicyError(source, problems)
    return PolicyBook(
        version=label,
        default=default,
        tenants=tenants,
        refuse_unknown=refuse if refuse_unknown is None else refuse_unknown,
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )


def _tenant(
    root: yaml.Node,
    path: tuple[Any, ...],
    raw: dict[Any, Any],
    base: dict[Any, Any],
    name: str,
    version: str,
    problems: list[tuple[int | None, str]],
) -> TenantPolicy | None:
    """Validate one tenant's entry merged over the default's; record problems with their lines."""
    if "version" in raw:
        problems.append((_line(_lookup(root, (*path, "version"))), "'version' belongs at the top of the file"))
        return None
    merged = {**base, **raw}
    for key, value in raw.items():  # mapping-valued settings merge key by key
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
    try:
        policy = TenantPolicy.model_validate(merged)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if base and loc and loc[0] not in raw:
                continue  # inherited from the default, which reports it at its own line
            node = _lookup(root, path + loc) or _lookup(root, ("default", *loc)) or _lookup(root, path)
            where = ".".join(str(part) for part in (*path, *loc) if part != "[key]")
            problems.append((_line(node), f"{where}: {err['msg']}"))
        return None
    return policy.model_copy(update={"version": f"{version}/{name}#{policy.fingerprint()}"})


def _compose(text: str, source: str) -> tuple[yaml.Node, Any]:
    """Parse once into nodes (for line numbers) and data; reject duplicate keys, which YAML hides."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise PolicyError(source, [(None, "the file is empty")])
        _no_duplicates(root, source)
        return root, loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise PolicyError(source, [(line, f"YAML syntax: {exc.problem or exc}")]) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(source, [(None, f"YAML: {exc}")]) from exc
    finally:
        loader.dispose()


def _no_duplicates(node: yaml.Node, source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                raise PolicyError(source, [(_line(key), f"duplicate key {key.value!r}")])
            seen.add(key.value)
            _no_duplicates(value, source)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _no_duplicates(item, source)


def _lookup(node: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The node at a pydantic error location, or None when the path does not exist in the file.

    A `[key]` step (pydantic's mark for a bad mapping key) resolves to the key's own node.
    """
    key_node: yaml.Node | None = None
    for part in loc:
        if part == "[key]":
            return key_node
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if pair is None:
                return None
            key_node, node = pair
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node


def _line(node: yaml.Node | None) -> int | None:
    return None if node is None else node.start_mark.line + 1


class PolicyReloader:
    """Holds the current policy book and reloads it when its file changes, keeping the last good one.

    `maybe_reload()` is cheap enough to call before every invoice: at most one `stat` per `min_interval_s`,
    and the file is read only when its modification time or size changed.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        min_interval_s: float = 1.0,
        refuse_unknown: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = path
        self._interval = min_interval_s
        self._refuse = refuse_unknown
        self._clock = clock
        self._signature = self._stat()
        self._book = load_policy_book(path, refuse_unknown=refuse_unknown)  # a bad file refuses to start
        self._checked = clock()
        self.last_error: PolicyError | None = None

    def current(self) -> PolicyBook:
        """The book in force."""
        return self._book

    def maybe_reload(self) -> bool:
        """Reload if the file changed since the last look; True when a new book took effect."""
        if self._path is None:
            return False
        now = self._clock()
        if now - self._checked < self._interval:
            return False
        self._checked = now
        signature = self._stat()
        if signature == self._signature:
            return False
        self._signature = signature
        try:
            book = load_policy_book(self._path, refuse_unknown=self._refuse)
        except PolicyError as exc:
            self.last_error = exc
            _log.error("policy reload failed, keeping version %s: %s", self._book.version, exc)
            return False
        self.last_error = None
        if book.digest == self._book.digest:
            return False
        self._book = book
        _log.info("policy reloaded from %s: version %s", self._path, book.version)
        return True

    def _stat(self) -> tuple[int, int] | None:
        if self._path is None:
            return None
        try:
            st = self._path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)
