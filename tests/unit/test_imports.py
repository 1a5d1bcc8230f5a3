"""Nothing runs at import time, and the layering holds: checked by importing every module in a clean env."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("schemas", "config", "streams", "agents", "tools")


def _modules() -> list[str]:
    mods = []
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            rel = path.relative_to(REPO).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            if rel.name != "__main__":
                mods.append(".".join(parts))
    return mods


def test_every_module_imports_with_an_empty_environment() -> None:
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\n"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent"}
    done = subprocess.run([sys.executable, "-c", code, *_modules()], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


ALLOWED = {
    "schemas": set(),
    "config": set(),
    "streams": {"schemas", "config", "streams"},
    "agents": {"schemas", "config", "streams", "agents"},
    "tools": {"schemas", "config", "streams", "agents", "tools", "infra"},  # the product never imports these two
}
OURS = set(PACKAGES) | {"infra"}


def test_layering() -> None:
    bad = []
    for pkg in PACKAGES:
        for path in (REPO / pkg).rglob("*.py"):
            ours = _imports(path) & OURS
            allowed = ALLOWED[pkg] | {pkg}
            if path.is_relative_to(REPO / "streams" / "cli"):
                allowed = allowed | {"agents", "tools"}
            if ours - allowed:
                bad.append(f"{path.relative_to(REPO)} imports {sorted(ours - allowed)}")
    assert not bad, "\n".join(bad)


def test_pure_cores_import_no_faust() -> None:
    from agents.stages import STAGES

    for name in STAGES:  # every stage's module, as the registry lists them
        path = REPO / "agents" / f"{name}.py"
        assert "faust" not in _imports(path), f"{path} imports faust"


def test_the_kafka_transport_never_loads_faust() -> None:
    """Faust is the thin adapter on the design card: only ``INVOICEFLOW_TRANSPORT=faust`` loads it."""
    code = "import sys, streams.cli.worker, streams.kafka_worker, agents.pipeline\nprint('faust' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_topics_are_declared_only_in_the_registry() -> None:
    hits = [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py") if "app.topic(" in p.read_text()]
    assert [p.relative_to(REPO).as_posix() for p in hits] == ["streams/topics.py"]
