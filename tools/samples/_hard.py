"""The hard text-PDF family: layouts that mix up the parties and print dates and money the long way.

Why: the three standard templates always head the seller's block at the top and the buyer's under "Bill to",
print ISO codes and numeric dates, and the text reader reads them all. Real-world invoices do not: the seller
may appear only in a letterhead or in the footer with its bank details, a "Ship to" block with an address
stands beside "Bill to" (and sometimes before it), a remittance note repeats the seller's name beside its
letterhead, item tables carry a per-line VAT amount under a "VAT" header, dates read "3. März 2014" or
"August 3, 2014", and amounts carry "€", "£", "₹", "CHF" or "kr" instead of a code.

Fourteen layouts: six the reader was tuned on (`TUNED`), and rounds of two held back, each measured untouched
once and only then tuned on: `FIRST_HELD_OUT` (a sidebar; key-value blocks), `SECOND_HELD_OUT` (a slip to
detach and return with the payment; a table whose rightmost column is each line's total with VAT),
`THIRD_HELD_OUT` (the seller named only on a second, payment page; a DIN 5008 letter whose seller stands only
in the return-address line above the window); then two rounds measured once each and never tuned on (`HELD_OUT`):
`FOURTH_HELD_OUT` (a letter signed at its end, the seller's name under the closing; the buyer's block at the top
right under an inline key, the seller's name broken over two lines at the top left) and `FIFTH_HELD_OUT`, written
after the reader's last tuning from the variety real invoices show (a centred letterhead over a form: the invoice
data in a grid of labelled cells, Bill to and Ship to boxes side by side, the totals as a band of columns; a
monogram for a letterhead, the seller's contact person in a block beside Bill to and Ship to, the invoice data
in one running line, each item's description on a row of its own above its figures, the seller named only in
the footer). Held-back layouts also draw their label wordings from a held-back set (`_hard_words`); a figure on
`HELD_OUT` says how the reader does on layouts no one tuned it for. Long invoices continue the table on the next
page.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from ._hard_blocks import (
    Doc,
    address,
    footer,
    meta,
    meta_block,
    party,
    remit,
    ship_to,
    table_header,
    table_row,
    title,
    totals,
)
from ._i18n import LANG_INDEX, fmt_rate, label, unit_label
from ._layout import FOOTER_Y, LEFT, PAGE_W, RIGHT, Box, Layout, Page, Rule, Text
from ._model import SampleInvoice

TUNED: Final = ("letterhead_right", "footer_only", "remit_beside", "ship_first", "brand_top", "stacked")
FIRST_HELD_OUT: Final = ("sidebar", "key_value")
SECOND_HELD_OUT: Final = ("slip", "gross_column")
THIRD_HELD_OUT: Final = ("page_two", "window_return")
FOURTH_HELD_OUT: Final = ("signed_letter", "split_name")
FIFTH_HELD_OUT: Final = ("form_grid", "monogram")
HELD_OUT: Final = FOURTH_HELD_OUT + FIFTH_HELD_OUT  # every layout the reader was never tuned on
HARD_TEMPLATES: Final = TUNED + FIRST_HELD_OUT + SECOND_HELD_OUT + THIRD_HELD_OUT + HELD_OUT
# which round of held-out layouts each one came in (0: tuned from the start)
HELD_OUT_ROUND: Final = {**dict.fromkeys(TUNED, 0), **dict.fromkeys(FIRST_HELD_OUT, 1),
                         **dict.fromkeys(SECOND_HELD_OUT, 2), **dict.fromkeys(THIRD_HELD_OUT, 3),
                         **dict.fromkeys(FOURTH_HELD_OUT, 4), **dict.fromkeys(FIFTH_HELD_OUT, 5)}


def hard_invoice(inv: SampleInvoice, rng: random.Random) -> SampleInvoice:
    """The invoice in the currency a hard layout shows: a share of euro invoices become pounds, francs,
    dollars or rupees (amounts stay; only the currency they are in changes)."""
    if inv.currency != "EUR" or rng.random() < 0.55:
        return inv
    options = ("GBP", "INR", "USD", "CHF") if inv.language == "en" else ("CHF", "GBP")
    return replace(inv, currency=rng.choice(options), payment_means="30")


# ------------------------------------------------------------------------------------------------ the heads
# Each draws what stands above the item table and returns it with the y where the table starts.


def _letterhead_right(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 70, title(d).upper(), 22.0, True)]
    lines = [*address(s, d.lang, False), f"{label('vat_id', d.lang)} {s.vat_id}", s.email]
    ops.append(Text(RIGHT, 46, s.name, 11.0, True, "r"))
    ops += [Text(RIGHT, 59 + 10.0 * i, t, 8.0, align="r") for i, t in enumerate(lines)]
    ops += meta_block(d, LEFT, LEFT + 100, 95, right=False)
    ops += party(d, d.inv.buyer, LEFT, 180, d.word("bill_to"))
    ops += party(d, d.ship_to, 300, 180, d.word("ship_to"), with_vat=False)
    return ops, 290.0


def _footer_only(d: Doc) -> tuple[Page, float]:
    ops: Page = [Text(LEFT, 64, title(d), 26.0, True), *meta_block(d, 300, RIGHT, 50)]
    ops += party(d, d.inv.buyer, LEFT, 140, d.word("bill_to"))
    ops += party(d, d.ship_to, 300, 140, d.word("ship_to"), with_vat=False, site=True)
    return ops, 250.0


def _remit_beside(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 50, s.name, 12.0, True)]
    ops += [Text(LEFT, 63 + 10.0 * i, t, 8.0) for i, t in enumerate([*address(s, d.lang, False), s.phone])]
    ops += remit(d, 345, 50)
    ops.append(Text(LEFT, 128, f"{title(d)} {d.inv.number}", 13.0, True))
    ops += party(d, d.inv.buyer, LEFT, 152, d.word("bill_to"))
    ops += meta_block(d, 290, RIGHT, 152)
    return ops, 265.0


def _ship_first(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    a = s.address
    ops: Page = [Text(PAGE_W / 2, 40, s.trading_name, 15.0, True, "c"),
                 Text(PAGE_W / 2, 54, f"{s.name} · {a.street} · {a.postcode} {a.city} · {label('vat_id', d.lang)} "
                                      f"{s.vat_id}", 7.5, align="c"),
                 Rule(LEFT, 60, RIGHT, 60, 0.6), Text(RIGHT, 86, title(d).upper(), 16.0, True, "r")]
    ops += party(d, d.ship_to, LEFT, 100, d.word("ship_to"), with_vat=False)
    ops += party(d, d.inv.buyer, 300, 100, d.word("bill_to"))
    x = LEFT
    for key, value in meta(d)[:4] + (meta(d)[-1:] if d.money_style == "plain" else []):
        ops.append(Text(x, 200, key, 7.5, True))
        ops.append(Text(x, 213, value, 8.5))
        x += 0.68 * max(7.5 * len(key), 8.5 * len(value)) + 20  # the next column starts past the wider text
    ops.append(Rule(LEFT, 220, RIGHT, 220, 0.4))
    return ops, 250.0


def _brand_top(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 56, s.trading_name.upper(), 18.0, True), Text(LEFT, 68, s.email, 7.5, gray=0.3),
                 Text(RIGHT, 56, title(d), 14.0, True, "r")]
    ops += meta_block(d, 300, RIGHT, 80)
    ops += party(d, d.inv.buyer, LEFT, 170, d.word("bill_to"), inline=True)
    return ops, 250.0


def _stacked(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 48, s.name, 12.0, True)]
    ops += [Text(LEFT, 61 + 10.0 * i, t, 8.0) for i, t in enumerate(address(s, d.lang, False))]
    ops.append(Text(LEFT, 83, f"{label('vat_id', d.lang)}: {s.vat_id}   IBAN: {s.iban}", 7.5))
    ops.append(Text(RIGHT, 52, title(d).upper(), 18.0, True, "r"))
    ops += party(d, d.inv.buyer, LEFT, 125, d.word("bill_to"))
    ops += party(d, d.ship_to, LEFT, 200, d.word("ship_to"), with_vat=False)
    ops += meta_block(d, 340, RIGHT, 125)
    return ops, 285.0


def _sidebar(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    side = [s.name, *address(s, d.lang, False), "", label("vat_id", d.lang), s.vat_id or "", "IBAN", s.iban or "",
            "BIC", s.bic or "", "", s.email]
    ops: Page = [Box(0, 0, 150, FOOTER_Y - 20, fill=0.93, stroke=False)]
    big = 9.0 if len(s.name) <= 22 else 7.5  # a long name still ends inside the sidebar
    ops += [Text(16, 60 + 11.0 * i, t, big if i == 0 else 7.5, i == 0) for i, t in enumerate(side) if t]
    ops.append(Text(170, 60, title(d), 22.0, True))
    ops += party(d, d.inv.buyer, 170, 105, d.word("bill_to"))
    ops += party(d, d.ship_to, 370, 105, d.word("ship_to"), with_vat=False)
    for i, (key, value) in enumerate(meta(d)):
        ops.append(Text(170, 185 + 11.5 * i, f"{key}: {value}", 8.0))
    return ops, 275.0


def _key_value(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 60, title(d).upper(), 20.0, True)]
    rows = [f"{d.word('remit')} {s.name}", f"IBAN: {s.iban}", f"BIC: {s.bic}", f"{label('vat_id', d.lang)}: {s.vat_id}"]
    ops += [Text(330, 46 + 11.0 * i, t, 8.0) for i, t in enumerate(rows)]
    ops += party(d, d.inv.buyer, LEFT, 110, d.word("bill_to"), inline=True)
    ops += party(d, d.ship_to, 330, 110, d.word("ship_to"), with_vat=False)
    shown = meta(d)[:3] + (meta(d)[-1:] if d.money_style == "plain" else [])
    ops.append(Text(LEFT, 200, "   ".join(f"{k}: {v}" for k, v in shown), 8.0))
    return ops, 232.0


def _slip(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 58, s.trading_name, 20.0, True), Text(RIGHT, 58, title(d).upper(), 16.0, True, "r")]
    ops += meta_block(d, 300, RIGHT, 80)
    ops += party(d, d.inv.buyer, LEFT, 150, d.word("bill_to"))
    ops += party(d, d.ship_to, 300, 165, d.word("ship_to"), with_vat=False)
    return ops, 255.0


def _slip_tail(d: Doc, y: float) -> Page:
    """The remittance slip under the totals: cut here, send back with the payment."""
    inv, s = d.inv, d.inv.seller
    rows = [(d.word("remit"), s.name), ("IBAN", s.iban or ""), ("BIC", s.bic or ""),
            (d.word("number"), inv.number), (label("amount_due", d.lang), d.money(inv.totals.payable))]
    ops: Page = [Rule(LEFT, y, RIGHT, y, 0.5, 0.5), Text(RIGHT, y - 3, "- - - - - - - -", 6.0, align="r", gray=0.5)]
    for i, (key, value) in enumerate(rows):
        ops.append(Text(LEFT, y + 18 + 12.0 * i, key, 8.0))
        ops.append(Text(LEFT + 170, y + 18 + 12.0 * i, value, 8.0, True))
    return ops


def _gross_column(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 60, title(d), 20.0, True), *meta_block(d, LEFT, LEFT + 120, 85, right=False)]
    lines = [*address(s, d.lang, True), f"{label('vat_id', d.lang)}: {s.vat_id}", s.phone]
    ops.append(Text(RIGHT, 50, s.name, 10.5, True, "r"))
    ops += [Text(RIGHT, 63 + 10.0 * i, t, 7.5, align="r") for i, t in enumerate(lines)]
    ops += party(d, d.ship_to, LEFT, 170, d.word("ship_to"), with_vat=False)
    ops += party(d, d.inv.buyer, 300, 170, d.word("bill_to"))
    return ops, 270.0


def _page_two(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 60, s.trading_name.lower(), 22.0, True), Text(RIGHT, 60, title(d).upper(), 15.0, True, "r")]
    ops += meta_block(d, 300, RIGHT, 90)
    ops += party(d, d.inv.buyer, LEFT, 120, None, site=True)
    return ops, 235.0


def _payment_page(d: Doc) -> Page:
    """The second page: the seller's legal name, address and bank details, under a payment heading."""
    s, inv = d.inv.seller, d.inv
    rows = [s.name, *address(s, d.lang, True), f"{label('vat_id', d.lang)}: {s.vat_id}", "", f"IBAN: {s.iban}",
            f"BIC: {s.bic}", f"{label('reference', d.lang)}: {inv.payment_reference}", "", inv.payment_terms]
    ops: Page = [Text(LEFT, 80, label("bank", d.lang), 14.0, True)]
    ops += [Text(LEFT, 104 + 12.0 * i, t, 9.0, i == 0) for i, t in enumerate(rows) if t]
    return ops


def _window_return(d: Doc) -> tuple[Page, float]:
    s, inv = d.inv.seller, d.inv
    a = s.address
    ops: Page = [Text(LEFT + 7, 118, f"{s.name} · {a.street} · {a.postcode} {a.city}", 6.5),
                 Rule(LEFT + 7, 121, 290, 121, 0.3)]
    ops += party(d, inv.buyer, LEFT + 7, 138, None)
    ops += meta_block(d, 340, RIGHT, 100)
    ops += party(d, d.ship_to, LEFT + 7, 210, d.word("ship_to"), with_vat=False)
    ops.append(Text(LEFT, 280, f"{title(d)} {inv.number}", 12.5, True))
    return ops, 310.0


def _form_grid(d: Doc) -> tuple[Page, float]:
    s = d.inv.seller
    a = s.address
    ops: Page = [Text(PAGE_W / 2, 44, s.name, 15.0, True, "c"),
                 Text(PAGE_W / 2, 57, f"{a.street} · {a.postcode} {a.city} · {s.phone} · {s.email}", 7.5, align="c"),
                 Rule(LEFT, 64, RIGHT, 64, 0.8), Text(LEFT, 90, title(d).upper(), 17.0, True)]
    cells = meta(d)
    width = (RIGHT - LEFT) / 3
    for i, (key, value) in enumerate(cells):  # a grid of labelled cells, three to a row
        x, y = LEFT + width * (i % 3), 104 + 30.0 * (i // 3)
        ops += [Box(x, y, width, 28, fill=None, stroke=True), Text(x + 4, y + 9, key, 6.5, gray=0.35),
                Text(x + 4, y + 22, value, 9.0, True)]
    y = 112 + 30.0 * ((len(cells) + 2) // 3)
    for x, who, heading, vat in ((LEFT, d.inv.buyer, d.word("bill_to"), True),
                                 (300, d.ship_to, d.word("ship_to"), False)):
        ops.append(Box(x, y, 240, 76, fill=None, stroke=True))
        ops += party(d, who, x + 6, y + 12, heading, with_vat=vat)
    return ops, y + 106


def _totals_band(d: Doc, y: float) -> tuple[Page, float]:
    """The totals as a band of columns, a label over each amount, at most four to a row."""
    inv, t = d.inv, d.inv.totals
    cols = [(label("subtotal", d.lang), d.money(t.line_total))] if inv.allowances else []
    cols += [(ac.reason, ("" if ac.charge else "-") + d.money(ac.amount)) for ac in inv.allowances]
    cols.append((label("net_total", d.lang) if inv.allowances else d.word("net"), d.money(t.tax_exclusive)))
    cols += [(d.word("vat_row").format(r=fmt_rate(sub.rate, d.lang)), d.money(sub.tax)) for sub in inv.subtotals]
    cols.append((label("total", d.lang) if t.prepaid else d.word("total"), d.money(t.tax_inclusive)))
    if t.prepaid:
        cols += [(label("prepaid", d.lang), "-" + d.money(t.prepaid)),
                 (label("amount_due", d.lang), d.money(t.payable))]
    width = (RIGHT - LEFT) / 4
    ops: Page = []
    for i, (key, value) in enumerate(cols):
        x, row_y = RIGHT - width * (3 - i % 4), y + 32.0 * (i // 4)
        ops += [Box(x - width + 2, row_y - 10, width - 4, 28, fill=0.94, stroke=False),
                Text(x - 4, row_y, key, 7.0, align="r"), Text(x - 4, row_y + 13, value, 9.0, True, "r")]
    return ops, y + 32.0 * ((len(cols) + 3) // 4)


def _monogram(d: Doc) -> tuple[Page, float]:
    s, inv = d.inv.seller, d.inv
    contact = ("Your contact", "Ihr Ansprechpartner", "Votre contact", "Referente", "Persona de contacto",
               "Contactpersoon")[LANG_INDEX[d.lang]]
    ops: Page = [Text(LEFT, 66, s.code, 30.0, True), Text(RIGHT, 60, title(d).upper(), 16.0, True, "r")]
    rows = meta(d)
    ops += [Text(LEFT, 100 + 12.0 * i, "   ·   ".join(f"{k} {v}" for k, v in part), 8.5)
            for i, part in enumerate((rows[:3], rows[3:])) if part]  # the invoice data in running lines
    ops += party(d, inv.buyer, LEFT, 140, d.word("bill_to"))
    ops += party(d, d.ship_to, 215, 140, d.word("ship_to"), with_vat=False)
    ops += [Text(400, 140, contact, 8.0, True, gray=0.3)]
    ops += [Text(400, 153 + 10.5 * i, t, 8.5) for i, t in enumerate((s.contact, s.phone, s.email))]
    return ops, 250.0


def _two_row_item(d: Doc, x0: float, y: float, index: int) -> Page:
    """One item on two rows: its description on the first, its figures on the second."""
    line = d.inv.lines[index]
    ops = [op for op in table_row(d, x0, y + 11, index) if not isinstance(op, Text) or op.x > x0 + 60]
    ops = [replace(op, text="") if isinstance(op, Text) and op.x < x0 + 120 else op for op in ops]
    ops.append(Text(x0 + 2, y, f"{line.seller_item_id}  {line.name} ({unit_label(line.unit, d.lang)})", 8.0))
    return [op for op in ops if not isinstance(op, Text) or op.text]


def _signed_letter(d: Doc) -> tuple[Page, float]:
    s, inv = d.inv.seller, d.inv
    ops: Page = [Text(RIGHT, 52, s.trading_name.upper(), 16.0, True, "r"), Text(RIGHT, 64, s.email, 7.5, align="r")]
    ops += party(d, inv.buyer, LEFT, 120, None)
    ops += meta_block(d, 330, RIGHT, 110)
    ops.append(Text(LEFT, 240, f"{title(d)} {inv.number}", 12.0, True))
    return ops, 275.0


def _signature(d: Doc, y: float) -> Page:
    """The letter's end: thanks, a closing, the seller's name and the person signing."""
    s = d.inv.seller
    closing = ("Kind regards", "Mit freundlichen Grüßen", "Cordialement", "Cordiali saluti", "Atentamente",
               "Met vriendelijke groet")[LANG_INDEX[d.lang]]
    rows = [label("thanks", d.lang), "", closing, s.name, s.contact, "", f"IBAN {s.iban} · BIC {s.bic}"]
    return [Text(LEFT, y + 12.0 * i, t, 8.5, t == s.name) for i, t in enumerate(rows) if t]


def _split_name(d: Doc) -> tuple[Page, float]:
    s, inv = d.inv.seller, d.inv
    words = s.name.split()
    cut = max(1, len(words) - 1) if len(words) > 1 else 1
    lines = [" ".join(words[:cut]), " ".join(words[cut:]), *address(s, d.lang, False),
             f"{label('vat_id', d.lang)} {s.vat_id}"]
    ops: Page = [Text(LEFT, 50 + 12.0 * i, t, 11.0 if i < 2 else 8.0, i < 2) for i, t in enumerate(lines) if t]
    ops += party(d, inv.buyer, 330, 50, d.word("bill_to"), inline=True)
    ops += meta_block(d, 330, RIGHT, 130)
    ops.append(Text(LEFT, 200, title(d).upper(), 16.0, True))
    return ops, 250.0


_HEADS: Final[dict[str, Callable[[Doc], tuple[Page, float]]]] = {
    "letterhead_right": _letterhead_right, "footer_only": _footer_only, "remit_beside": _remit_beside,
    "ship_first": _ship_first, "brand_top": _brand_top, "stacked": _stacked, "sidebar": _sidebar,
    "key_value": _key_value, "slip": _slip, "gross_column": _gross_column, "page_two": _page_two,
    "window_return": _window_return, "signed_letter": _signed_letter, "split_name": _split_name,
    "form_grid": _form_grid, "monogram": _monogram,
}
# The footer each layout closes with: the seller's name with its bank details, in columns, as a legal line, or none.
_FOOTERS: Final = {"letterhead_right": "bank", "footer_only": "columns", "remit_beside": "legal", "ship_first": "bank",
                   "brand_top": "legal", "stacked": "columns", "sidebar": "none", "key_value": "line", "slip": "none",
                   "gross_column": "bank", "page_two": "none", "window_return": "bank_only",
                   "signed_letter": "none", "split_name": "bank_only", "form_grid": "columns", "monogram": "bank"}


def layout_hard(inv: SampleInvoice, rng: random.Random, template: str | None = None) -> Layout:
    """Lay ``inv`` out with one of the hard layouts, drawn from ``rng`` (or the one named)."""
    name = template or rng.choice(HARD_TEMPLATES)
    style = rng.choice(("symbol", "symbol", "symbol", "code", "plain"))
    d = Doc(inv, rng, HELD_OUT_ROUND[name] > 0, rng.random() < 0.75, style, ship_to(inv, rng),
             gross_column=name == "gross_column", narrow=name == "sidebar")
    head, y = _HEADS[name](d)
    x0 = 170.0 if name == "sidebar" else LEFT
    pages: list[Page] = [list(head)]
    pages[-1] += table_header(d, x0, y)
    y += 18
    two_rows = name == "monogram"  # each item's description on a row of its own above its figures
    for i in range(len(inv.lines)):
        if y > FOOTER_Y - 60:
            pages.append([])
            y = 80.0
            pages[-1] += table_header(d, x0, y)
            y += 18
        pages[-1] += _two_row_item(d, x0, y, i) if two_rows else table_row(d, x0, y, i)
        y += 26 if two_rows else 15
    if y + (210 if name in ("slip", "signed_letter") else 120) > FOOTER_Y - 20:
        pages.append([])
        y = 80.0
    ops, y = _totals_band(d, y + 30) if name == "form_grid" else totals(d, y + 24)
    pages[-1] += ops
    pages[-1].append(Text(LEFT, y + 16, f"{label('terms', d.lang)}: {inv.payment_terms}", 8.0))
    if name == "slip":
        pages[-1] += _slip_tail(d, y + 40)
    if name == "page_two":
        pages.append(_payment_page(d))
    if name == "signed_letter":
        pages[-1] += _signature(d, y + 44)
    style = _FOOTERS[name]
    out = tuple(tuple(page + footer(d, style, i + 1, len(pages))) for i, page in enumerate(pages))
    return Layout(out, f"hard:{name}", rng.random() < 0.3)
