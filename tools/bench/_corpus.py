"""The benchmark's documents: generated once per (count, mix, seed, generator) and reused from a cache.

Twenty thousand PDFs take minutes to generate while the run itself takes seconds, so the documents are kept
in a folder named after everything that decides their bytes. `truth.jsonl` is written last and atomically by
the generator, so a folder holding one with enough rows (and their files) is complete; anything else is
regenerated. Every document must be distinct (no two with the same sha256): an accidental duplicate would
be scored as a resend and bias both the touchless rate and the work per invoice.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from streams.errors import ConfigError
from tools.bench._config import BenchConfig, BenchHooks, Rows, mix_label


@dataclass(frozen=True, slots=True)
class Corpus:
    """The documents of a run with their truth rows."""

    root: Path
    rows: Rows
    generated: bool

    def path(self, row: dict[str, object]) -> Path:
        """The file of a truth row."""
        return self.root / str(row["file"])

    def documents(self) -> list[tuple[Path, str]]:
        """(path, generator format) of every document, in generation order."""
        return [(self.path(r), str(r["format"])) for r in self.rows]


def cache_key(config: BenchConfig, generator_version: str) -> str:
    """The folder holding a (mix, seed, generator)'s documents, one `n<count>` subfolder per count."""
    text = f"{mix_label(config.mix)}|{config.seed}|{generator_version}"
    return f"s{config.seed}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _read_rows(truth: Path) -> Rows:
    with truth.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _complete(root: Path, count: int) -> Rows | None:
    truth = root / "truth.jsonl"
    if not truth.is_file():
        return None
    rows = _read_rows(truth)[:count]
    if len(rows) == count and all((root / str(r["file"])).is_file() for r in rows):
        return rows
    return None


def load_or_generate(config: BenchConfig, hooks: BenchHooks, cache_root: Path) -> Corpus:
    """The cached documents of this configuration, generating them when missing or incomplete.

    The generator's output for document i depends only on the seed, i and the mix, so the first N documents
    of a larger cached run are exactly the documents of a run of N: a smaller run reuses a larger cache.
    """
    family = cache_root / cache_key(config, hooks.generator_version)
    sizes = sorted(int(p.name[1:]) for p in family.glob("n*") if p.name[1:].isdigit()) if family.is_dir() else []
    for size in (n for n in sizes if n >= config.count):
        rows = _complete(family / f"n{size}", config.count)
        if rows is not None:
            return Corpus(family / f"n{size}", _distinct(rows), generated=False)
    root = family / f"n{config.count}"
    if root.exists():
        shutil.rmtree(root)
    rows = hooks.generate(root, config.count, config.mix, config.seed)
    return Corpus(root, _distinct(rows), generated=True)


def _distinct(rows: Rows) -> Rows:
    digests = [str(r.get("sha256")) for r in rows]
    if len(set(digests)) != len(digests):
        raise ConfigError(f"the generator produced {len(digests) - len(set(digests))} duplicate documents")
    return rows
