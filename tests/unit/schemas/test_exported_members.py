"""Each package's `__all__` lists exactly its public names (ruff RUF022 keeps it sorted)."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["schemas", "streams", "streams.service", "streams.sinks", "streams.training"])
def test_all_matches_public_names(package: str) -> None:
    module = importlib.import_module(package)
    public = {name for name in vars(module) if not name.startswith("_") and not _is_module(getattr(module, name))}
    public -= {"annotations"}
    assert set(module.__all__) == public
    assert len(module.__all__) == len(set(module.__all__))  # its order is ruff's (RUF022, isort-style)


def _is_module(obj: object) -> bool:
    return type(obj).__name__ == "module"
