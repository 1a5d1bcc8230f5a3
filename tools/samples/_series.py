"""A series of text-PDF invoices from one seller in one layout: what a vendor sends month after month.

`generate_samples` draws a seller and a template per invoice, so no vendor repeats its layout there; learning a
vendor's layout (custom models and vendor layouts, issue 15) needs the series instead.
`generate_hard_series` does the same for many sellers at once in the hard layouts: each seller keeps its
layout, its wordings, its way of writing dates and money and its currency from one invoice to the next.
Everything else (buyers, lines, dates, totals) varies as in `generate_samples`, and the truth rows have the
same fields.
"""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date
from pathlib import Path

from ._hard import HARD_TEMPLATES, hard_invoice, layout_hard
from ._i18n import LANGS
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


def generate_hard_series(out_dir: Path, sellers: int, per_seller: int, *, seed: int = 0,
                         base_date: date | None = None) -> list[dict[str, object]]:
    """Write `per_seller` text-PDF invoices for each of `sellers` sellers, each seller in one hard layout
    (its choices drawn once, from the seller's own seed), into `out_dir/hard_series/<seller>/`, and their
    truth rows (with `seller_index` and `series_index`) into `out_dir/truth.jsonl`; return the rows."""
    base = base_date or date.today()
    rows: list[dict[str, object]] = []
    for s in range(sellers):
        pick = random.Random(f"invoiceflow-hard-series:{seed}:{s}")
        template = HARD_TEMPLATES[s % len(HARD_TEMPLATES)]
        language = pick.choice(LANGS)
        seller = make_invoice(random.Random(f"invoiceflow-hard-series:{seed}:{s}:seller"), s, base_date=base,
                              language=language, pool_seed=seed + s).seller
        currency_seed = pick.random()
        folder = Path(out_dir) / "hard_series" / f"{s:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_seller):
            rng = random.Random(f"invoiceflow-hard-series:{seed}:{s}:{index}")
            inv = make_invoice(rng, 100_000 * (s + 1) + index, base_date=base, language=language,
                               credit_note_ratio=0.0, pool_seed=seed + s)
            inv = hard_invoice(dataclasses.replace(inv, seller=seller), random.Random(currency_seed))
            layout = layout_hard(inv, random.Random(f"invoiceflow-hard-series:{seed}:{s}:layout"), template)
            data = render_pdf(layout, **_pdf_meta(inv))
            rel = f"hard_series/{s:04d}/{index:04d}.pdf"
            (Path(out_dir) / rel).write_bytes(data)
            pages, text = pdf_text(data)
            extra: dict[str, object] = {"language": inv.language, "template": layout.template, "pages": pages,
                                        "layout_family": "hard", "seller_index": s, "series_index": index,
                                        "text_check": text_check(inv, text)}
            rows.append(truth_row(inv, "text_pdf_hard", rel, data, extra))
    with (Path(out_dir) / "truth.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return rows
