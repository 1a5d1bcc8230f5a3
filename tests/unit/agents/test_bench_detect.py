"""The detect benchmark prints figures per format; here only its shape is checked, never its speed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tools.bench.detect import bench_detect, bench_figures, format_bench


def test_bench_reports_a_median_per_detected_format(tmp_path: Path, corpus: Path) -> None:
    rows = [
        json.loads(line) for line in (corpus / "zugferd-corpus/truth.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    chosen = [next(r for r in rows if r["format"] == f) for f in ("cii", "facturx-pdf")]
    for row in chosen:
        (tmp_path / Path(row["file"]).parent).mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus / "zugferd-corpus" / row["file"], tmp_path / row["file"])
    (tmp_path / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chosen))
    figures = bench_figures(tmp_path, repeat=2)
    assert [(f.format, f.documents) for f in figures] == [("cii", 1), ("hybrid_pdf", 1)]
    assert all(f.median_ms > 0 for f in figures)
    assert figures[1].median_ms_per_page is not None
    assert set(bench_detect(tmp_path, repeat=1)) == {"cii", "hybrid_pdf"}
    assert "hybrid_pdf" in format_bench(figures)
