"""Three invoice page templates ("classic", "banner", "letter") and the optional payment-slip page.

Why several: extractors trained or tuned on one layout learn positions instead of labels. The templates differ
in where the seller, buyer and invoice metadata sit (header table right vs. banner row vs. DIN-5008-style
address window with an info block), in table shading, totals box and footer, and a template may pick serif or
sans type. ``compact=True`` guarantees one page (used for scans); otherwise long invoices flow onto a second
page, and about one in ten text PDFs gets a payment-slip page.
"""

from __future__ import annotations

import random
from typing import Final

from ._i18n import fmt_date, fmt_money, label
from ._layout import LEFT, PAGE_W, RIGHT, Box, Layout, Page, Rule, Text, paginate
from ._model import Party, SampleInvoice
from ._words import COUNTRY_NAMES

TEMPLATES: Final = ("classic", "banner", "letter")
_LANG_COL: Final = {"en": 0, "de": 1, "fr": 2, "it": 3, "es": 4, "nl": 5}


def _title(inv: SampleInvoice) -> str:
    return label("credit_note" if inv.is_credit_note else "invoice", inv.language)


def _meta(inv: SampleInvoice) -> list[tuple[str, str]]:
    lang = inv.language
    rows = [(label("cn_number" if inv.is_credit_note else "number", lang), inv.number),
            (label("date", lang), fmt_date(inv.issue_date, lang))]
    if inv.due_date:
        rows.append((label("due", lang), fmt_date(inv.due_date, lang)))
    if inv.delivery_date:
        rows.append((label("delivery", lang), fmt_date(inv.delivery_date, lang)))
    if inv.order_reference:
        rows.append((label("order", lang), inv.order_reference))
    rows.append((label("buyer_ref", lang), inv.buyer_reference))
    return rows


def _address(party: Party, inv: SampleInvoice, with_country: bool) -> list[str]:
    a = party.address
    lines = [a.street, f"{a.postcode} {a.city}"]
    if with_country:
        lines.append(COUNTRY_NAMES[a.country][_LANG_COL[inv.language]])
    return lines


def _buyer_block(inv: SampleInvoice, x: float, y: float, with_label: bool) -> Page:
    b, lang = inv.buyer, inv.language
    ops: Page = []
    if with_label:
        ops.append(Text(x, y, label("bill_to", lang), 8.0, True))
        y += 14
    ops.append(Text(x, y, b.name, 10.0, True))
    foreign = b.address.country != inv.seller.address.country
    for i, text in enumerate(_address(b, inv, foreign)):
        ops.append(Text(x, y + 12 + 11.0 * i, text, 9.0))
    if b.vat_id:
        ops.append(Text(x, y + 12 + 11.0 * (3 if foreign else 2) + 4, f"{label('vat_id', lang)}: {b.vat_id}", 8.0))
    return ops


def _classic(inv: SampleInvoice) -> Page:
    s = inv.seller
    ops: Page = [Text(LEFT, 70, s.name, 13.0, True)]
    ops += [Text(LEFT, 84 + 11.0 * i, t, 8.5) for i, t in enumerate([*_address(s, inv, False), s.email])]
    ops.append(Text(RIGHT, 72, _title(inv).upper(), 20.0, True, "r"))
    for i, (key, value) in enumerate(_meta(inv)):
        ops.append(Text(340, 110 + 13.0 * i, key, 8.5))
        ops.append(Text(RIGHT, 110 + 13.0 * i, value, 8.5, True, "r"))
    ops += _buyer_block(inv, LEFT, 150, True)
    return ops


def _banner(inv: SampleInvoice) -> Page:
    s = inv.seller
    ops: Page = [Box(0, 0, PAGE_W, 92, fill=0.22, stroke=False), Text(LEFT, 58, _title(inv), 24.0, True, gray=1.0),
                 Text(RIGHT, 38, s.name, 11.0, True, "r", 1.0)]
    ops += [Text(RIGHT, 52 + 10.0 * i, t, 8.0, False, "r", 1.0)
            for i, t in enumerate([*_address(s, inv, False), f"{label('vat_id', inv.language)} {s.vat_id}"])]
    for i, (key, value) in enumerate(_meta(inv)[:4]):
        x = LEFT + 124.0 * i
        ops.append(Text(x, 120, key, 7.5, gray=0.35))
        ops.append(Text(x, 134, value, 10.0, True))
    ops.append(Rule(LEFT, 146, RIGHT, 146, 0.4, 0.5))
    ops += _buyer_block(inv, LEFT, 172, True)
    for i, (key, value) in enumerate(_meta(inv)[4:]):
        ops.append(Text(340, 186 + 12.0 * i, f"{key}: {value}", 8.0))
    return ops


def _letter(inv: SampleInvoice) -> Page:
    s, lang = inv.seller, inv.language
    a = s.address
    ops: Page = [Text(PAGE_W / 2, 48, s.trading_name, 15.0, True, "c"),
                 Text(PAGE_W / 2, 62, f"{a.street} · {a.postcode} {a.city} · {s.phone}", 8.0, align="c"),
                 Rule(LEFT, 70, RIGHT, 70, 0.8),
                 Text(LEFT + 7, 122, f"{s.name} · {a.street} · {a.postcode} {a.city}", 6.5),
                 Rule(LEFT + 7, 125, 290, 125, 0.3)]
    ops += _buyer_block(inv, LEFT + 7, 142, False)
    meta = [*_meta(inv), (label("vat_id", lang), s.vat_id or "")]
    for i, (key, value) in enumerate(meta):
        ops.append(Text(355, 110 + 12.5 * i, key, 8.0))
        ops.append(Text(462, 110 + 12.5 * i, value, 8.0, True))
    ops.append(Text(LEFT, 262, f"{_title(inv)} {inv.number}", 12.5, True))
    return ops


def _payment_slip(inv: SampleInvoice) -> Page:
    lang, s = inv.language, inv.seller
    rows = [(label("bank", lang), s.name), ("IBAN", s.iban or ""), ("BIC", s.bic or ""),
            (label("amount_due", lang), fmt_money(inv.totals.payable, inv.currency, lang)),
            (label("reference", lang), inv.payment_reference),
            (label("number", lang), inv.number)]
    if inv.due_date:
        rows.append((label("due", lang), fmt_date(inv.due_date, lang)))
    ops: Page = [Text(LEFT, 90, label("terms", lang), 14.0, True), Text(LEFT, 108, inv.payment_terms, 9.0),
                 Box(LEFT, 130, RIGHT - LEFT, 16.0 * len(rows) + 16, fill=None, stroke=True)]
    for i, (key, value) in enumerate(rows):
        ops.append(Text(LEFT + 12, 150 + 16.0 * i, key, 9.0))
        ops.append(Text(LEFT + 170, 150 + 16.0 * i, value, 9.0, True))
    return ops


def layout_invoice(inv: SampleInvoice, rng: random.Random, *, compact: bool,
                   template: str | None = None) -> Layout:
    """Lay ``inv`` out on pages with a template drawn from ``rng`` (or the one named)."""
    name = template or rng.choice(TEMPLATES)
    row_h = 13.0 if compact else rng.choice((14.0, 16.0, 20.0, 24.0))
    extra = (_payment_slip(inv),) if not compact and rng.random() < 0.1 else ()
    serif = rng.random() < 0.3
    if name == "classic":
        pages = paginate(_classic(inv), 272, inv, row_h=row_h, shade=0.88, zebra=False, boxed=True,
                         footer_columns=False, extra=extra)
    elif name == "banner":
        pages = paginate(_banner(inv), 272, inv, row_h=row_h, shade=None, zebra=True, boxed=False,
                         footer_columns=True, extra=extra)
    else:
        pages = paginate(_letter(inv), 290, inv, row_h=row_h, shade=0.85, zebra=False, boxed=True,
                         footer_columns=True, extra=extra)
    return Layout(tuple(tuple(p) for p in pages), name, serif)
