"""Measure detect + local extraction per document, by format (`invoiceflow bench detect DIR`).

The issue's targets are per document: under 2 ms for UBL and CII, under 20 ms per page for text PDFs. Each
document is read once from disk, then run `repeat` times in-process; its median is kept, and the figure per
format is the median of those medians, so one slow outlier or a noisy neighbour does not move it. Detect keeps
the lines of the text PDF pages it loads for its text probe, as a Kafka-transport worker's detect does for its
extract (`Memos.text`). Speed is printed, never asserted in a test (DEVELOPERS.md).
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from agents.detect import DetectLimits, detect
from agents.extract import extract_local
from tools.evaluate import iter_truth

__all__ = ["BenchFigure", "bench_detect", "bench_figures", "format_bench"]


@dataclass(frozen=True, slots=True)
class BenchFigure:
    """Median timings of one detected format."""

    format: str
    documents: int
    median_ms: float
    median_ms_per_page: float | None


def _time_one(content: bytes, limits: DetectLimits, repeat: int) -> tuple[float, int | None, str]:
    samples = []
    fmt, pages = "", None
    for _ in range(repeat):
        start = time.perf_counter()
        detection = detect(content, limits, keep_lines=True)
        extract_local(detection, content)
        samples.append((time.perf_counter() - start) * 1000.0)
        fmt, pages = detection.format.value, detection.pages
    return statistics.median(samples), pages, fmt


def bench_figures(root: Path, repeat: int = 5, limits: DetectLimits | None = None) -> tuple[BenchFigure, ...]:
    """Time detect + extract_local on every document listed in the truth files under `root`.

    Args:
        root: A corpus directory (``truth.jsonl`` files beside the documents).
        repeat: Runs per document; the median is kept.
        limits: Detection limits; the `Settings` defaults when None.

    Returns:
        One figure per detected format, sorted by format name.
    """
    limits = limits or DetectLimits()
    per_doc: dict[str, list[float]] = defaultdict(list)
    per_page: dict[str, list[float]] = defaultdict(list)
    seen: set[Path] = set()
    for path, _row in iter_truth(root):
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        median_ms, pages, fmt = _time_one(path.read_bytes(), limits, max(1, repeat))
        per_doc[fmt].append(median_ms)
        if pages:
            per_page[fmt].append(median_ms / pages)
    return tuple(
        BenchFigure(
            format=fmt,
            documents=len(times),
            median_ms=statistics.median(times),
            median_ms_per_page=statistics.median(per_page[fmt]) if per_page[fmt] else None,
        )
        for fmt, times in sorted(per_doc.items())
    )


def bench_detect(root: Path, repeat: int = 5) -> dict[str, float]:
    """Return the median detect + extract time per document, in milliseconds, keyed by detected format."""
    return {figure.format: figure.median_ms for figure in bench_figures(root, repeat)}


def format_bench(figures: tuple[BenchFigure, ...]) -> str:
    """Render the figures as a small table (what the CLI prints)."""
    lines = [f"{'format':<14}{'docs':>6}{'median ms/doc':>16}{'median ms/page':>17}"]
    for f in figures:
        per_page = "-" if f.median_ms_per_page is None else f"{f.median_ms_per_page:.3f}"
        lines.append(f"{f.format:<14}{f.documents:>6}{f.median_ms:>16.3f}{per_page:>17}")
    return "\n".join(lines)
