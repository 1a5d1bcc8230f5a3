"""Renderer-neutral page layout: text runs, rules and boxes on an A4 page, in points from the top-left corner.

Why: the text PDF (reportlab) and the scan image (Pillow) must show the same invoice the same way; laying the
page out once as a list of primitives and drawing it with two small back-ends keeps the templates in one place
and the two renderings identical except for the medium.

This module holds the primitives and the blocks the templates share (lines table, totals block, footer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ._i18n import fmt_amount, fmt_money, fmt_price, fmt_qty, fmt_rate, label, unit_label
from ._model import SampleInvoice

PAGE_W: Final = 595.0
PAGE_H: Final = 842.0
LEFT: Final = 50.0
RIGHT: Final = 545.0
FOOTER_Y: Final = 790.0


@dataclass(frozen=True, slots=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float = 9.0
    bold: bool = False
    align: str = "l"  # l, r or c
    gray: float = 0.0  # 0 black .. 1 white


@dataclass(frozen=True, slots=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.6
    gray: float = 0.0


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float  # top
    w: float
    h: float
    fill: float | None = None  # gray level or no fill
    stroke: bool = True


Op = Text | Rule | Box
Page = list[Op]


@dataclass(frozen=True, slots=True)
class Layout:
    pages: tuple[tuple[Op, ...], ...]
    template: str
    serif: bool


# column anchors of the lines table: (key, x, align)
_COLUMNS: Final = (("pos", LEFT + 2, "l"), ("desc", LEFT + 26, "l"), ("qty", 322.0, "r"), ("unit", 328.0, "l"),
                   ("price", 428.0, "r"), ("vat_pct", 472.0, "r"), ("amount", RIGHT - 2, "r"))


def table_header(y: float, lang: str, shade: float | None) -> Page:
    ops: Page = []
    if shade is not None:
        ops.append(Box(LEFT, y - 11, RIGHT - LEFT, 16, fill=shade, stroke=False))
    else:
        ops.append(Rule(LEFT, y + 5, RIGHT, y + 5, 0.8))
    ops.extend(Text(x, y, label(key, lang), 8.0, True, align) for key, x, align in _COLUMNS)
    return ops


def line_rows(inv: SampleInvoice, row_h: float, zebra: bool) -> list[Page]:
    """One small list of ops per line, positioned at y=0 (the caller shifts them)."""
    lang = inv.language
    rows: list[Page] = []
    for i, line in enumerate(inv.lines):
        values = (line.line_id, line.name[:40], fmt_qty(line.quantity, lang), unit_label(line.unit, lang),
                  fmt_price(line.price, lang), fmt_rate(line.rate, lang), fmt_amount(line.net, lang))
        row: Page = []
        if zebra and i % 2:
            row.append(Box(LEFT, -row_h + 4, RIGHT - LEFT, row_h, fill=0.94, stroke=False))
        row.extend(Text(x, 0.0, v, 8.5, False, align) for (_, x, align), v in zip(_COLUMNS, values, strict=True))
        rows.append(row)
    return rows


def shift(ops: Page, dy: float) -> Page:
    out: Page = []
    for op in ops:
        if isinstance(op, Text):
            out.append(Text(op.x, op.y + dy, op.text, op.size, op.bold, op.align, op.gray))
        elif isinstance(op, Rule):
            out.append(Rule(op.x1, op.y1 + dy, op.x2, op.y2 + dy, op.width, op.gray))
        else:
            out.append(Box(op.x, op.y + dy, op.w, op.h, op.fill, op.stroke))
    return out


def totals_rows(inv: SampleInvoice) -> list[tuple[str, str, bool]]:
    """(label, value, bold) rows of the totals block, BT-106 down to BT-115."""
    lang, cur, t = inv.language, inv.currency, inv.totals
    rows: list[tuple[str, str, bool]] = []
    if inv.allowances:
        rows.append((label("subtotal", lang), fmt_amount(t.line_total, lang), False))
        for ac in inv.allowances:
            sign = "" if ac.charge else "-"
            rows.append((ac.reason, sign + fmt_amount(ac.amount, lang), False))
    rows.append((label("net_total", lang), fmt_amount(t.tax_exclusive, lang), False))
    for sub in inv.subtotals:
        text = f"{label('vat', lang)} {fmt_rate(sub.rate, lang)} ({fmt_amount(sub.base, lang)})"
        rows.append((text, fmt_amount(sub.tax, lang), False))
    rows.append((label("total", lang), fmt_money(t.tax_inclusive, cur, lang), True))
    if t.prepaid:
        rows.append((label("prepaid", lang), "-" + fmt_amount(t.prepaid, lang), False))
        rows.append((label("amount_due", lang), fmt_money(t.payable, cur, lang), True))
    return rows


def totals_block(inv: SampleInvoice, y: float, boxed: bool) -> tuple[Page, float]:
    rows = totals_rows(inv)
    x_label, height = 330.0, 14.0 * len(rows) + 8
    ops: Page = []
    if boxed:
        ops.append(Box(x_label - 8, y - 12, RIGHT - x_label + 8, height, fill=0.95, stroke=True))
    else:
        ops.append(Rule(x_label, y - 12, RIGHT, y - 12, 0.8))
    for i, (text, value, bold) in enumerate(rows):
        yy = y + 14.0 * i
        ops.append(Text(x_label, yy, text, 8.5, bold))
        ops.append(Text(RIGHT - 2, yy, value, 8.5, bold, "r"))
    return ops, y + height


def notes_block(inv: SampleInvoice, y: float) -> Page:
    lang = inv.language
    texts = [f"{label('terms', lang)}: {inv.payment_terms}",
             f"{label('reference', lang)}: {inv.payment_reference}"]
    if any(s.category == "AE" for s in inv.subtotals):
        texts.append(label("reverse", lang))
    if inv.preceding_invoice:
        texts.append(f"{label('credit_for', lang)} {inv.preceding_invoice}")
    if inv.note:
        texts.append(inv.note)
    return [Text(LEFT, y + 12.0 * i, t, 8.0) for i, t in enumerate(texts)]


def footer(inv: SampleInvoice, page_no: int, pages: int, columns: bool) -> Page:
    s, lang = inv.seller, inv.language
    a = s.address
    bank = f"IBAN {s.iban}  BIC {s.bic}" if s.iban else ""
    ops: Page = [Rule(LEFT, FOOTER_Y - 10, RIGHT, FOOTER_Y - 10, 0.4)]
    if columns:
        cols = ((s.name, a.street, f"{a.postcode} {a.city}"),
                (f"{label('vat_id', lang)}: {s.vat_id}", s.phone, s.email),
                (label("bank", lang), f"IBAN {s.iban}", f"BIC {s.bic}"))
        for c, col in enumerate(cols):
            ops.extend(Text(LEFT + 170.0 * c, FOOTER_Y + 10.0 * r, t, 7.0) for r, t in enumerate(col))
    else:
        ops.append(Text(PAGE_W / 2, FOOTER_Y, f"{s.name} · {a.street} · {a.postcode} {a.city}", 7.0, align="c"))
        ops.append(Text(PAGE_W / 2, FOOTER_Y + 10, f"{label('vat_id', lang)} {s.vat_id} · {bank}", 7.0, align="c"))
    ops.append(Text(RIGHT, FOOTER_Y + 34,
                    f"{label('page', lang)} {page_no} {label('of', lang)} {pages}", 7.0, align="r"))
    return ops


def paginate(first: Page, body_top: float, inv: SampleInvoice, *, row_h: float, shade: float | None,
             zebra: bool, boxed: bool, footer_columns: bool, extra: tuple[Page, ...] = ()) -> list[Page]:
    """Flow the lines table, totals and notes over as many pages as they need, then append ``extra`` pages."""
    lang = inv.language
    limit = FOOTER_Y - 40
    pages: list[Page] = [list(first)]
    y = body_top
    pages[-1].extend(table_header(y, lang, shade))
    y += row_h + 4
    for row in line_rows(inv, row_h, zebra):
        if y > limit - 10:
            pages[-1].append(Text(RIGHT, y, label("continued", lang), 7.5, align="r"))
            pages.append([])
            y = 80.0
            pages[-1].extend(table_header(y, lang, shade))
            y += row_h + 4
        pages[-1].extend(shift(row, y))
        y += row_h
    needed = 14.0 * len(totals_rows(inv)) + 70
    if y + needed > limit:
        pages.append([])
        y = 80.0
    ops, y = totals_block(inv, y + 22, boxed)
    pages[-1].extend(ops)
    pages[-1].extend(notes_block(inv, y + 10))
    pages.extend(list(page) for page in extra)
    total = len(pages)
    return [page + footer(inv, i + 1, total, footer_columns) for i, page in enumerate(pages)]
