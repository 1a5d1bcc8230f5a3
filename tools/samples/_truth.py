"""Truth rows in the corpus's ``truth.jsonl`` vocabulary, plus the PDF text check.

Why the same field names: the pipeline's accuracy benchmarks read the public corpus and the synthetic sets
with one scorer. ``text_check`` is measured, not assumed: the finished PDF's text layer is extracted with
pypdfium2 and searched for the invoice number and the amount due in the usual number spellings, exactly what
the corpus rows record for their hybrid PDFs.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Final

import pypdfium2 as pdfium

from ._model import SampleInvoice

TRUTH_FORMAT: Final = {"ubl": "ubl", "cii": "cii", "hybrid_pdf": "facturx-pdf", "text_pdf": "text-pdf",
                       "scan": "scan-image", "scan_pdf": "scan-pdf", "fatturapa": "fatturapa",
                       "fatturapa_p7m": "fatturapa", "text_pdf_hard": "text-pdf"}


def _num(value: Decimal) -> float:
    return round(float(value), 2)


def amount_spellings(value: Decimal) -> set[str]:
    """``1234.5`` as 1234.50, 1,234.50, 1.234,50, 1234,50, 1 234,50 (plain, no-break and narrow spaces)."""
    en = f"{value:,.2f}"
    plain = f"{value:.2f}"
    de = en.replace(",", "\0").replace(".", ",").replace("\0", ".")
    out = {plain, en, de, plain.replace(".", ",")}
    out.update(en.replace(",", sep).replace(".", ",") for sep in (" ", "\u00a0", "\u202f"))
    return out


def pdf_text(data: bytes) -> tuple[int, str]:
    """(page count, text of all pages) of a PDF."""
    pdf = pdfium.PdfDocument(data)
    try:
        parts = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return len(pdf), "\n".join(parts)
    finally:
        pdf.close()


def text_check(inv: SampleInvoice, text: str) -> dict[str, object]:
    flat = text.replace("\r", "")
    return {
        "text_chars": len(flat.strip()),
        "invoice_number_in_text": inv.number in flat,
        "total_gross_in_text": any(s in flat for s in amount_spellings(inv.totals.payable)),
    }


def truth_row(inv: SampleInvoice, fmt: str, file: str, data: bytes, extra: dict[str, object]) -> dict[str, object]:
    t = inv.totals
    row: dict[str, object] = {
        "file": file,
        "doc_type": inv.doc_type,
        "format": TRUTH_FORMAT[fmt],
        "invoice_number": inv.number,
        "issue_date": inv.issue_date.isoformat(),
        "due_date": inv.due_date.isoformat() if inv.due_date else None,
        "currency": inv.currency,
        "seller_name": inv.seller.name,
        "buyer_name": inv.buyer.name,
        "total_net": _num(t.tax_exclusive),
        "total_tax": _num(t.tax_total),
        "total_gross": _num(t.payable),
        "total_incl_vat": _num(t.tax_inclusive),
        "prepaid": _num(t.prepaid),
        "line_count": len(inv.lines),
        "type_code": inv.type_code,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "seller_vat_id": inv.seller.vat_id,
        "buyer_vat_id": inv.buyer.vat_id,
        "seller_iban": inv.seller.iban,
        "truth_source": "generator",
        "invalid": False,
    }
    row.update(extra)
    return row
