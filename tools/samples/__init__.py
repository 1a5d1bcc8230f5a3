"""Synthetic but realistic EU invoices with exact truth, for tests, benchmarks and load runs.

Why the project has its own generator: the public corpus is small (a few hundred documents, many of them the
same handful of German test cases), so throughput tests, duplicate detection, multilingual text extraction and
OCR routing need volume and variety the corpus cannot give, with truth that is right by construction. The
package is pure Python and self-contained (no Faust, no other project package) so it can also seed a topic or
fill a directory from a plain script.

``generate_samples`` writes ``count`` documents into ``out_dir/<format>/<index>.<ext>`` and ``out_dir/truth.jsonl``
(one row per document, the corpus's field names). Output is a pure function of ``seed``, ``count``, the format
plan, ``languages`` and ``base_date`` (default: today, so pass it explicitly for byte-identical reruns), but
for the signature of ``fatturapa_p7m`` files: it is made with a key that lives only in the process and
carries its signing time, so only the signed content is the same from run to run.
``text_pdf_hard`` (in ``EXTRA_FORMATS``, never part of "all formats") draws text PDFs from the hard layouts of
``_hard``, some of them held out from the text reader's tuning.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from ._cii import render_cii
from ._i18n import LANGS
from ._invoice import make_invoice
from ._model import SampleInvoice
from ._render import CREDIT_NOTE_RATIO, EXTRA_FORMATS, FORMATS, render_format, sample_invoice
from ._series import generate_hard_series, generate_vendor_series
from ._truth import truth_row
from ._ubl import render_ubl

__all__ = ["EXTRA_FORMATS", "FORMATS", "LANGS", "SampleInvoice", "generate_hard_series", "generate_samples",
           "generate_vendor_series",
           "make_invoice", "plan_formats", "render_cii", "render_ubl"]


def plan_formats(formats: Sequence[str] | Mapping[str, float], count: int) -> list[str]:
    """Format of each document: round-robin over a sequence, smooth weighted round-robin over a mapping."""
    if isinstance(formats, str):
        formats = (formats,)
    weights = ({name: float(w) for name, w in formats.items() if w > 0} if isinstance(formats, Mapping)
               else dict.fromkeys(formats, 1.0))
    unknown = sorted(set(weights) - set(FORMATS) - set(EXTRA_FORMATS))
    if unknown or not weights:
        raise ValueError(f"formats must be a non-empty choice of {FORMATS + EXTRA_FORMATS}, got {sorted(weights)}")
    total = sum(weights.values())
    credit = dict.fromkeys(weights, 0.0)
    plan: list[str] = []
    for _ in range(count):
        for name, w in weights.items():
            credit[name] += w
        pick = max(credit, key=lambda name: credit[name])
        credit[pick] -= total
        plan.append(pick)
    return plan


def generate_samples(
    out_dir: Path,
    count: int,
    formats: Sequence[str] | Mapping[str, float] = ("ubl",),
    seed: int = 0,
    languages: Sequence[str] = LANGS,
    *,
    base_date: date | None = None,
) -> list[dict[str, object]]:
    """Write ``count`` invoices and ``truth.jsonl`` into ``out_dir``; return the truth rows.

    Issue dates fall within the two years before ``base_date`` (default today), never after it.
    Invoice numbers are unique across the whole run (so also per seller); a collision raises.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    langs = tuple(dict.fromkeys(languages))
    if not langs or any(lang not in LANGS for lang in langs):
        raise ValueError(f"languages must be a non-empty choice of {LANGS}, got {list(languages)}")
    plan = plan_formats(formats, count)
    base = base_date or date.today()
    out_dir = Path(out_dir)
    for fmt in set(plan):
        (out_dir / fmt).mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    numbers: set[str] = set()
    for index, fmt in enumerate(plan):
        rng = random.Random(f"invoiceflow-samples:{seed}:{index}")
        language = rng.choice(langs)
        if fmt.startswith("fatturapa"):
            language = "it"  # FatturaPA is Italy's: an Italian seller
        inv = make_invoice(rng, index, base_date=base, language=language,
                           credit_note_ratio=CREDIT_NOTE_RATIO[fmt], pool_seed=seed)
        inv = sample_invoice(fmt, inv, rng)
        if inv.number in numbers:
            raise RuntimeError(f"duplicate invoice number {inv.number!r} at index {index}")
        numbers.add(inv.number)
        data, ext, extra = render_format(fmt, inv, rng)
        rel = f"{fmt}/{index:06d}.{ext}"
        (out_dir / rel).write_bytes(data)
        rows.append(truth_row(inv, fmt, rel, data, extra))
    truth = out_dir / "truth.jsonl"
    tmp = truth.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, truth)
    return rows
