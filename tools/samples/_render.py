"""One invoice to one file of a given format, with the format-specific truth fields.

Why a dispatcher of its own: ``generate_samples`` only plans, names and records; everything that differs between
the formats (renderer, file extension, credit-note share, extra truth fields such as pages, language,
embedded XML and the measured text check) lives here in one table-like place.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Final

from ._cii import GUIDELINE_ID, render_cii
from ._facturx import ATTACHMENT_NAME, make_hybrid
from ._fatturapa import ORDINARY_TYPES, SIMPLIFIED_TYPES, ordinary_lines, plan_fattura, render_fatturapa
from ._hard import HELD_OUT, HELD_OUT_ROUND, hard_invoice, layout_hard
from ._i18n import label
from ._image import draw_page, encode_image, image_pdf, pick_image_format, scanify
from ._invoice import make_invoice
from ._model import SampleInvoice
from ._p7m import sign_p7m
from ._pdf import render_pdf
from ._templates import layout_invoice
from ._truth import pdf_text, text_check
from ._ubl import CUSTOMIZATION_ID, render_ubl

FORMATS: Final = ("ubl", "cii", "hybrid_pdf", "text_pdf", "scan", "scan_pdf", "fatturapa", "fatturapa_p7m")
# Families asked for by name only, never part of "all formats": the hard text-PDF layouts (`_hard`).
EXTRA_FORMATS: Final = ("text_pdf_hard",)
CREDIT_NOTE_RATIO: Final = {"ubl": 0.10, "cii": 0.05, "hybrid_pdf": 0.05, "text_pdf": 0.05, "scan": 0.04,
                            "scan_pdf": 0.04, "fatturapa": 0.0, "fatturapa_p7m": 0.0, "text_pdf_hard": 0.05}


def _pdf_meta(inv: SampleInvoice) -> dict[str, str]:
    kind = label("credit_note" if inv.is_credit_note else "invoice", inv.language)
    return {"title": f"{kind} {inv.number}", "author": inv.seller.name, "subject": kind}


def _text_pdf(inv: SampleInvoice, rng: random.Random, hybrid: bool) -> tuple[bytes, dict[str, object]]:
    layout = layout_invoice(inv, rng, compact=False)
    meta = _pdf_meta(inv)
    data = render_pdf(layout, **meta)
    extra: dict[str, object] = {"language": inv.language, "template": layout.template}
    if hybrid:
        data = make_hybrid(data, render_cii(inv), created=inv.issue_date, alternative=rng.random() < 0.5)
        extra.update({"pdf_attachments": [ATTACHMENT_NAME], "embedded_xml": ATTACHMENT_NAME,
                      "embedded_format": "cii", "profile": GUIDELINE_ID, "xml_root": "CrossIndustryInvoice"})
    pages, text = pdf_text(data)
    extra.update({"pages": pages, "text_check": text_check(inv, text)})
    return data, extra


def _hard_pdf(inv: SampleInvoice, rng: random.Random) -> tuple[bytes, dict[str, object]]:
    layout = layout_hard(inv, rng)
    data = render_pdf(layout, **_pdf_meta(inv))
    name = layout.template.removeprefix("hard:")
    extra: dict[str, object] = {"language": inv.language, "template": layout.template, "layout_family": "hard",
                                "held_out_layout": name in HELD_OUT,
                                "held_out_round": HELD_OUT_ROUND[name]}
    pages, text = pdf_text(data)
    extra.update({"pages": pages, "text_check": text_check(inv, text)})
    return data, extra


def sample_invoice(fmt: str, inv: SampleInvoice, rng: random.Random) -> SampleInvoice:
    """The invoice a format shows: the hard text PDFs move some euro invoices to other currencies."""
    return hard_invoice(inv, rng) if fmt == "text_pdf_hard" else inv


def _scan(inv: SampleInvoice, rng: random.Random, as_pdf: bool) -> tuple[bytes, str, dict[str, object]]:
    layout = layout_invoice(inv, rng, compact=True)
    if len(layout.pages) != 1:  # compact layouts are sized for 15 lines; a second page would be lost
        raise RuntimeError(f"scan layout of invoice {inv.index} needs {len(layout.pages)} pages")
    dpi = rng.choice((150, 150, 200))
    ext, fmt = ("pdf", "JPEG") if as_pdf else pick_image_format(rng)
    img = scanify(draw_page(layout, 0, dpi), rng, clean_background=fmt != "JPEG")
    extra: dict[str, object] = {"language": inv.language, "template": layout.template, "dpi": dpi}
    if not as_pdf:
        return encode_image(img, rng, dpi, fmt), ext, extra
    scanned = inv.issue_date + timedelta(days=rng.randint(1, 12))
    data = image_pdf(img, dpi, f"SCAN_{scanned:%Y%m%d}_{rng.randint(1000, 9999)}",
                     (scanned.year, scanned.month, scanned.day))
    pages, text = pdf_text(data)
    extra.update({"pages": pages, "text_check": text_check(inv, text)})
    return data, "pdf", extra


def _fattura(inv: SampleInvoice, rng: random.Random, signed: bool) -> tuple[bytes, str, dict[str, object]]:
    """A FatturaPA file whose first body is `inv` (more bodies are invoices of their own, numbered after it);
    the truth describes the first body, as the corpus rows do."""
    plan = plan_fattura(rng, inv.index)
    more = [make_invoice(rng, inv.index, base_date=inv.issue_date, language="it", credit_note_ratio=0.0)
            for _ in plan.types[1:]]
    invoices = [inv, *(replace(m, number=f"{inv.number}-{k}") for k, m in enumerate(more, 2))]
    data = render_fatturapa(invoices, plan, inv.index)
    t = inv.totals
    extra: dict[str, object] = {
        "format": "fatturapa-simplified" if plan.simplified else "fatturapa",
        "xml_root": "FatturaElettronicaSemplificata" if plan.simplified else "FatturaElettronica",
        "type_code": plan.types[0],
        "doc_type": (SIMPLIFIED_TYPES if plan.simplified else ORDINARY_TYPES)[plan.types[0]],
        "bodies": len(invoices), "encoding": plan.encoding,
        "total_gross": float(t.tax_inclusive) if plan.with_total else None,
        "total_incl_vat": float(t.tax_inclusive) if plan.with_total else None,
        "line_count": len(inv.subtotals) if plan.simplified else len(ordinary_lines(inv)),
        "due_date": None if plan.simplified else (inv.due_date.isoformat() if inv.due_date else None),
        "seller_iban": None if plan.simplified else inv.seller.iban,
        "withholding": plan.withholding, "stamp_duty": plan.stamp_duty, "truth_note": "first body",
    }
    if signed:
        base64_form = rng.random() < 0.5
        data = sign_p7m(data, as_base64=base64_form)
        extra["signed"] = "cades-base64" if base64_form else "cades"
        return data, "xml.p7m", extra
    return data, "xml", extra


def render_format(fmt: str, inv: SampleInvoice, rng: random.Random) -> tuple[bytes, str, dict[str, object]]:
    """(file bytes, extension, format-specific truth fields) of ``inv`` in ``fmt``."""
    if fmt == "ubl":
        root = "CreditNote" if inv.is_credit_note else "Invoice"
        return render_ubl(inv), "xml", {"profile": CUSTOMIZATION_ID, "xml_root": root}
    if fmt == "cii":
        return render_cii(inv), "xml", {"profile": GUIDELINE_ID, "xml_root": "CrossIndustryInvoice"}
    if fmt in ("text_pdf", "hybrid_pdf"):
        data, extra = _text_pdf(inv, rng, hybrid=fmt == "hybrid_pdf")
        return data, "pdf", extra
    if fmt == "text_pdf_hard":
        data, extra = _hard_pdf(inv, rng)
        return data, "pdf", extra
    if fmt in ("scan", "scan_pdf"):
        return _scan(inv, rng, as_pdf=fmt == "scan_pdf")
    if fmt in ("fatturapa", "fatturapa_p7m"):
        return _fattura(inv, rng, signed=fmt == "fatturapa_p7m")
    raise ValueError(f"unknown sample format {fmt!r}; known: {', '.join(FORMATS + EXTRA_FORMATS)}")
