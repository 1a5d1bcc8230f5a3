"""The fields of an event contract as SQL expressions over its JSON, named and typed by the model itself.

The record statement (`_record_sql`) takes each scored event as the JSON pydantic wrote for it and reads its
columns out server-side (cheaper than typed arrays, see `_record_rows`). Paths spelt by hand there would write
the contract a second time beside the model, and a field renamed or retyped in `schemas/` would silently read
NULL or keep an old cast. So a path here is a list of the model's own field names, resolved against the model
when the statement is built: a name the model lacks raises `ContractPathError`, which fails the import of the
statement and every test that touches it, and the cast follows the field's annotation (a `Decimal` is read as
`numeric`, a `datetime` as `timestamptz`...). Keys are field names, as `model_dump_json()` writes them.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

__all__ = ["ContractPathError", "JsonFields"]

# checked in order: bool before int, datetime before date (each is a subclass of the next); str covers StrEnums
# and is read as text, with no cast ("")
_CASTS: tuple[tuple[type, str], ...] = (
    (bool, "boolean"), (int, "int"), (float, "float8"), (Decimal, "numeric"),
    (datetime, "timestamptz"), (date, "date"), (str, ""),
)


class ContractPathError(TypeError):
    """A path names no field of the model, or asks a value of what is not a scalar (or the reverse)."""


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X (None is JSON null, read as SQL NULL whatever the cast); `Annotated[X, ...]` -> X (its
    constraints are the contract's business, not the cast's)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        kept = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(kept) == 1:
            annotation = kept[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: itself, or the element of a tuple of models."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return _model_of(args[0])
    return None


def _cast(annotation: Any) -> str | None:
    """The SQL type a scalar field is read as ("": text, no cast); None when the field is no scalar."""
    if isinstance(annotation, type):
        for kind, cast in _CASTS:
            if issubclass(annotation, kind):
                return cast
    return None


def _quote(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class JsonFields:
    """The fields of `model` over `root`, a jsonb expression holding the JSON of one such model."""

    model: type[BaseModel]
    root: str

    def _annotation(self, path: tuple[str, ...]) -> Any:
        if not path:
            raise ContractPathError("a path names at least one field")
        model: type[BaseModel] | None = self.model
        annotation: Any = None
        for depth, name in enumerate(path):
            if model is None or name not in model.model_fields:
                owner = model.__name__ if model is not None else repr(path[depth - 1])
                raise ContractPathError(f"{owner} has no field {name!r} ({self.model.__name__}.{'.'.join(path)})")
            annotation = _unwrap(model.model_fields[name].annotation)
            model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
        return annotation

    def _walk(self, path: tuple[str, ...], last: str) -> str:
        *inner, leaf = path
        return self.root + "".join(f"->{_quote(n)}" for n in inner) + f"{last}{_quote(leaf)}"

    def value(self, *path: str) -> str:
        """The scalar at `path` as SQL, cast to its field's type: ``(e->'cost'->>'usd')::numeric``."""
        cast = _cast(self._annotation(path))
        if cast is None:
            raise ContractPathError(f"{self.model.__name__}.{'.'.join(path)} is no scalar: read it with json()")
        text = self._walk(path, "->>")
        return f"({text})::{cast}" if cast else text

    def json(self, *path: str) -> str:
        """The jsonb at `path` (an object, an array, or a scalar kept as JSON): ``e->'reasons'``."""
        self._annotation(path)
        return self._walk(path, "->")

    def column(self, *path: str, name: str | None = None) -> str:
        """``value(*path) AS name``, the name defaulting to the path joined by underscores (``cost_usd``)."""
        return f"{self.value(*path)} AS {name or '_'.join(path)}"

    def within(self, *path: str, root: str) -> JsonFields:
        """The fields of the model held at `path` (a model, or each element of a tuple of models), over `root`."""
        model = _model_of(self._annotation(path))
        if model is None:
            raise ContractPathError(f"{self.model.__name__}.{'.'.join(path)} holds no model")
        return JsonFields(model, root)

    def at(self, root: str) -> JsonFields:
        """The same fields over another root (another alias of the same JSON)."""
        return JsonFields(self.model, root)

    def extra(self, key: str) -> str:
        """A key the writer adds beside the contract's fields, as text; raises if the model has a field of that
        name (the JSON would carry it twice, and the statement could not tell which it reads)."""
        if key in self.model.model_fields:
            raise ContractPathError(f"{self.model.__name__} has a field {key!r}: it cannot be an extra key")
        return self._walk((key,), "->>")
