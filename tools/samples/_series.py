"""A series of text-PDF invoices from one seller in one layout: what a vendor sends month after month.

`generate_samples` draws a seller and a template per invoice, so no vendor repeats its layout there; learning a
vendor's layout (custom models, issue 15) needs the series instead. Everything else (buyers, lines, dates,
totals) varies as in `generate_samples`, and the truth rows have the same fields.
"""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date
from pathlib import Path

from ._invoice import make_invoice
from ._pdf import render_pdf
from ._render import _pdf_meta
from ._templates import layout_invoice
from ._truth import pdf_text, text_check, truth_row


def generate_vendor_series(out_dir: Path, count: int, *, seed: int = 0, template: str = "classic",
                           language: str = "de", base_date: date | None = None) -> list[dict[str, object]]:
    """Write `count` invoices of one seller (drawn from `seed`) laid out with `template` into
    `out_dir/series/`, and their truth rows into `out_dir/truth.jsonl`; return the rows."""
    base = base_date or date.today()
    seller = make_invoice(random.Random(f"invoiceflow-series:{seed}:seller"), 0, base_date=base,
                          language=language, pool_seed=seed).seller
    folder = Path(out_dir) / "series"
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    for index in range(count):
        rng = random.Random(f"invoiceflow-series:{seed}:{index}")
        inv = make_invoice(rng, 90_000 + index, base_date=base, language=language, credit_note_ratio=0.0,
                           pool_seed=seed)
        inv = dataclasses.replace(inv, seller=seller)
        data = render_pdf(layout_invoice(inv, rng, compact=False, template=template), **_pdf_meta(inv))
        rel = f"series/{index:06d}.pdf"
        (Path(out_dir) / rel).write_bytes(data)
        pages, text = pdf_text(data)
        extra: dict[str, object] = {"language": inv.language, "template": template, "pages": pages,
                                    "text_check": text_check(inv, text)}
        rows.append(truth_row(inv, "text_pdf", rel, data, extra))
    with (Path(out_dir) / "truth.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return rows
