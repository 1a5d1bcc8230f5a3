"""The hard text-PDF family: layouts that mix up the parties and print dates and money the long way.

Why: the three standard templates always head the seller's block at the top and the buyer's under "Bill to",
print ISO codes and numeric dates, and the text reader reads them all. Real-world invoices do not: the seller
may appear only in a letterhead or in the footer with its bank details, a "Ship to" block with an address
stands beside "Bill to" (and sometimes before it), a remittance note repeats the seller's name beside its
letterhead, item tables carry a per-line VAT amount under a "VAT" header, dates read "3. März 2014" or
"August 3, 2014", and amounts carry "€", "£", "₹", "CHF" or "kr" instead of a code.

Ten layouts: six the reader was tuned on (`TUNED`), two held back in a first round (`FIRST_HELD_OUT`: measured
untouched once, then tuned on) and two held back still (`HELD_OUT`: a slip to detach and return with the
payment; a table whose rightmost column is each line's total with VAT). Held-back layouts also draw their
label wordings from a held-back set (`_hard_words`); a figure on `HELD_OUT` says how the reader does on
layouts no one tuned it for. Long invoices continue the table on the next page.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final

from ._hard_words import long_date, money, number_text, site_word, wording
from ._i18n import fmt_date, fmt_qty, fmt_rate, label, unit_label
from ._layout import FOOTER_Y, LEFT, PAGE_W, RIGHT, Box, Layout, Page, Rule, Text
from ._model import Party, SampleInvoice, q2
from ._parties import buyer_pool
from ._words import COUNTRY_NAMES

TUNED: Final = ("letterhead_right", "footer_only", "remit_beside", "ship_first", "brand_top", "stacked")
FIRST_HELD_OUT: Final = ("sidebar", "key_value")
HELD_OUT: Final = ("slip", "gross_column")
HARD_TEMPLATES: Final = TUNED + FIRST_HELD_OUT + HELD_OUT
_LANG_COL: Final = {"en": 0, "de": 1, "fr": 2, "it": 3, "es": 4, "nl": 5}


@dataclass(frozen=True, slots=True)
class _Doc:
    """One hard document's choices: the invoice, how it writes dates and money, and whose wordings it uses."""

    inv: SampleInvoice
    rng: random.Random
    held_out: bool
    long_dates: bool
    money_style: str  # symbol, code or plain
    ship_to: Party
    gross_column: bool = False  # the item table ends with each line's total including VAT
    narrow: bool = False  # the item table has less than the page's width: shorter descriptions, smaller headers

    @property
    def lang(self) -> str:
        return self.inv.language

    def word(self, key: str) -> str:
        return wording(key, self.lang, self.rng, self.held_out)

    def date(self, key: str) -> str:
        value = {"issue": self.inv.issue_date, "due": self.inv.due_date}[key]
        assert value is not None
        return long_date(value, self.lang, self.rng) if self.long_dates else fmt_date(value, self.lang)

    def money(self, value: Decimal) -> str:
        return money(value, self.inv.currency, self.lang, self.money_style)

    def number(self, value: Decimal) -> str:
        return number_text(value, self.inv.currency, self.lang)


def hard_invoice(inv: SampleInvoice, rng: random.Random) -> SampleInvoice:
    """The invoice in the currency a hard layout shows: a share of euro invoices become pounds, francs,
    dollars or rupees (amounts stay; only the currency they are in changes)."""
    if inv.currency != "EUR" or rng.random() < 0.55:
        return inv
    options = ("GBP", "INR", "USD", "CHF") if inv.language == "en" else ("CHF", "GBP")
    return replace(inv, currency=rng.choice(options), payment_means="30")


def _ship_to(inv: SampleInvoice, rng: random.Random) -> Party:
    """The ship-to party: the buyer at one of its sites, or another company (a forwarder, a subsidiary)."""
    b = inv.buyer
    if rng.random() < 0.35:
        other = rng.choice([p for p in buyer_pool(inv.index % 7, b.address.country) if p.name != b.name])
        return replace(other, contact=b.contact)
    street = f"{site_word(inv.language, rng)} {rng.randint(1, 9)}" if rng.random() < 0.5 else b.address.street
    return replace(b, address=replace(b.address, street=street))


def _address(party: Party, lang: str, with_country: bool) -> list[str]:
    a = party.address
    lines = [a.street, f"{a.postcode} {a.city}"]
    if with_country:
        lines.append(COUNTRY_NAMES[a.country][_LANG_COL[lang]])
    return lines


def _party(d: _Doc, party: Party, x: float, y: float, heading: str | None, *, inline: bool = False,
           with_vat: bool = True, site: bool = False) -> Page:
    """A party block: heading (on its own line, or "Heading: Name" inline), name, address, VAT id."""
    ops: Page = []
    if heading and inline:
        ops.append(Text(x, y, f"{heading}: {party.name}", 9.0, True))
    else:
        if heading:
            ops.append(Text(x, y, heading, 8.0, True, gray=0.3))
            y += 13
        ops.append(Text(x, y, party.name, 9.5, True))
    lines = _address(party, d.lang, party.address.country != d.inv.seller.address.country)
    if site:
        lines.insert(0, f"Attn: {party.contact}")
    if with_vat and party.vat_id:
        lines.append(f"{label('vat_id', d.lang)}: {party.vat_id}")
    ops += [Text(x, y + 11 + 10.5 * i, t, 8.5) for i, t in enumerate(lines)]
    return ops


def _meta(d: _Doc) -> list[tuple[str, str]]:
    inv = d.inv
    number = label("cn_number", d.lang) if inv.is_credit_note else d.word("number")
    rows = [(number, inv.number), (d.word("date"), d.date("issue"))]
    if inv.due_date:
        rows.append((d.word("due"), d.date("due")))
    if inv.order_reference:
        rows.append((label("order", d.lang), inv.order_reference))
    rows.append((d.word("customer_no"), inv.buyer_reference))
    if d.money_style == "plain":
        rows.append((("Currency", "Währung", "Devise", "Valuta", "Moneda", "Valuta")[_LANG_COL[d.lang]],
                     inv.currency))
    return rows


def _meta_block(d: _Doc, x_label: float, x_value: float, y: float, right: bool = True) -> Page:
    ops: Page = []
    for i, (key, value) in enumerate(_meta(d)):
        ops.append(Text(x_label, y + 12.5 * i, key, 8.0))
        ops.append(Text(x_value, y + 12.5 * i, value, 8.0, True, "r" if right else "l"))
    return ops


def _title(d: _Doc) -> str:
    return label("credit_note" if d.inv.is_credit_note else "invoice", d.lang)


def _remit(d: _Doc, x: float, y: float) -> Page:
    s = d.inv.seller
    rows = [s.name, f"IBAN {s.iban}", f"BIC {s.bic}", f"{label('reference', d.lang)}: {d.inv.payment_reference}"]
    ops: Page = [Box(x - 6, y - 11, RIGHT - x + 6, 14 + 11.0 * len(rows), fill=None, stroke=True),
                 Text(x, y, d.word("remit"), 8.0, True)]
    ops += [Text(x, y + 12 + 11.0 * i, t, 8.0) for i, t in enumerate(rows)]
    return ops


# ------------------------------------------------------------------------------------------------ the heads
# Each draws what stands above the item table and returns it with the y where the table starts.


def _letterhead_right(d: _Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 70, _title(d).upper(), 22.0, True)]
    lines = [*_address(s, d.lang, False), f"{label('vat_id', d.lang)} {s.vat_id}", s.email]
    ops.append(Text(RIGHT, 46, s.name, 11.0, True, "r"))
    ops += [Text(RIGHT, 59 + 10.0 * i, t, 8.0, align="r") for i, t in enumerate(lines)]
    ops += _meta_block(d, LEFT, LEFT + 100, 95, right=False)
    ops += _party(d, d.inv.buyer, LEFT, 180, d.word("bill_to"))
    ops += _party(d, d.ship_to, 300, 180, d.word("ship_to"), with_vat=False)
    return ops, 290.0


def _footer_only(d: _Doc) -> tuple[Page, float]:
    ops: Page = [Text(LEFT, 64, _title(d), 26.0, True), *_meta_block(d, 300, RIGHT, 50)]
    ops += _party(d, d.inv.buyer, LEFT, 140, d.word("bill_to"))
    ops += _party(d, d.ship_to, 300, 140, d.word("ship_to"), with_vat=False, site=True)
    return ops, 250.0


def _remit_beside(d: _Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 50, s.name, 12.0, True)]
    ops += [Text(LEFT, 63 + 10.0 * i, t, 8.0) for i, t in enumerate([*_address(s, d.lang, False), s.phone])]
    ops += _remit(d, 345, 50)
    ops.append(Text(LEFT, 128, f"{_title(d)} {d.inv.number}", 13.0, True))
    ops += _party(d, d.inv.buyer, LEFT, 152, d.word("bill_to"))
    ops += _meta_block(d, 290, RIGHT, 152)
    return ops, 265.0


def _ship_first(d: _Doc) -> tuple[Page, float]:
    s = d.inv.seller
    a = s.address
    ops: Page = [Text(PAGE_W / 2, 40, s.trading_name, 15.0, True, "c"),
                 Text(PAGE_W / 2, 54, f"{s.name} · {a.street} · {a.postcode} {a.city} · {label('vat_id', d.lang)} "
                                      f"{s.vat_id}", 7.5, align="c"),
                 Rule(LEFT, 60, RIGHT, 60, 0.6), Text(RIGHT, 86, _title(d).upper(), 16.0, True, "r")]
    ops += _party(d, d.ship_to, LEFT, 100, d.word("ship_to"), with_vat=False)
    ops += _party(d, d.inv.buyer, 300, 100, d.word("bill_to"))
    x = LEFT
    for key, value in _meta(d)[:4] + (_meta(d)[-1:] if d.money_style == "plain" else []):
        ops.append(Text(x, 200, key, 7.5, True))
        ops.append(Text(x, 213, value, 8.5))
        x += 0.68 * max(7.5 * len(key), 8.5 * len(value)) + 20  # the next column starts past the wider text
    ops.append(Rule(LEFT, 220, RIGHT, 220, 0.4))
    return ops, 250.0


def _brand_top(d: _Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 56, s.trading_name.upper(), 18.0, True), Text(LEFT, 68, s.email, 7.5, gray=0.3),
                 Text(RIGHT, 56, _title(d), 14.0, True, "r")]
    ops += _meta_block(d, 300, RIGHT, 80)
    ops += _party(d, d.inv.buyer, LEFT, 170, d.word("bill_to"), inline=True)
    return ops, 250.0


def _stacked(d: _Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 48, s.name, 12.0, True)]
    ops += [Text(LEFT, 61 + 10.0 * i, t, 8.0) for i, t in enumerate(_address(s, d.lang, False))]
    ops.append(Text(LEFT, 83, f"{label('vat_id', d.lang)}: {s.vat_id}   IBAN: {s.iban}", 7.5))
    ops.append(Text(RIGHT, 52, _title(d).upper(), 18.0, True, "r"))
    ops += _party(d, d.inv.buyer, LEFT, 125, d.word("bill_to"))
    ops += _party(d, d.ship_to, LEFT, 200, d.word("ship_to"), with_vat=False)
    ops += _meta_block(d, 340, RIGHT, 125)
    return ops, 285.0


def _sidebar(d: _Doc) -> tuple[Page, float]:
    s = d.inv.seller
    side = [s.name, *_address(s, d.lang, False), "", label("vat_id", d.lang), s.vat_id or "", "IBAN", s.iban or "",
            "BIC", s.bic or "", "", s.email]
    ops: Page = [Box(0, 0, 150, FOOTER_Y - 20, fill=0.93, stroke=False)]
    big = 9.0 if len(s.name) <= 22 else 7.5  # a long name still ends inside the sidebar
    ops += [Text(16, 60 + 11.0 * i, t, big if i == 0 else 7.5, i == 0) for i, t in enumerate(side) if t]
    ops.append(Text(170, 60, _title(d), 22.0, True))
    ops += _party(d, d.inv.buyer, 170, 105, d.word("bill_to"))
    ops += _party(d, d.ship_to, 370, 105, d.word("ship_to"), with_vat=False)
    for i, (key, value) in enumerate(_meta(d)):
        ops.append(Text(170, 185 + 11.5 * i, f"{key}: {value}", 8.0))
    return ops, 275.0


def _key_value(d: _Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 60, _title(d).upper(), 20.0, True)]
    rows = [f"{d.word('remit')} {s.name}", f"IBAN: {s.iban}", f"BIC: {s.bic}", f"{label('vat_id', d.lang)}: {s.vat_id}"]
    ops += [Text(330, 46 + 11.0 * i, t, 8.0) for i, t in enumerate(rows)]
    ops += _party(d, d.inv.buyer, LEFT, 110, d.word("bill_to"), inline=True)
    ops += _party(d, d.ship_to, 330, 110, d.word("ship_to"), with_vat=False)
    meta = _meta(d)[:3] + (_meta(d)[-1:] if d.money_style == "plain" else [])
    ops.append(Text(LEFT, 200, "   ".join(f"{k}: {v}" for k, v in meta), 8.0))
    return ops, 232.0


def _slip(d: _Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 58, s.trading_name, 20.0, True), Text(RIGHT, 58, _title(d).upper(), 16.0, True, "r")]
    ops += _meta_block(d, 300, RIGHT, 80)
    ops += _party(d, d.inv.buyer, LEFT, 150, d.word("bill_to"))
    ops += _party(d, d.ship_to, 300, 165, d.word("ship_to"), with_vat=False)
    return ops, 255.0


def _slip_tail(d: _Doc, y: float) -> Page:
    """The remittance slip under the totals: cut here, send back with the payment."""
    inv, s = d.inv, d.inv.seller
    rows = [(d.word("remit"), s.name), ("IBAN", s.iban or ""), ("BIC", s.bic or ""),
            (d.word("number"), inv.number), (label("amount_due", d.lang), d.money(inv.totals.payable))]
    ops: Page = [Rule(LEFT, y, RIGHT, y, 0.5, 0.5), Text(RIGHT, y - 3, "- - - ✂ - - -", 6.0, align="r", gray=0.5)]
    for i, (key, value) in enumerate(rows):
        ops.append(Text(LEFT, y + 18 + 12.0 * i, key, 8.0))
        ops.append(Text(LEFT + 170, y + 18 + 12.0 * i, value, 8.0, True))
    return ops


def _gross_column(d: _Doc) -> tuple[Page, float]:
    s = d.inv.seller
    ops: Page = [Text(LEFT, 60, _title(d), 20.0, True), *_meta_block(d, LEFT, LEFT + 120, 85, right=False)]
    lines = [*_address(s, d.lang, True), f"{label('vat_id', d.lang)}: {s.vat_id}", s.phone]
    ops.append(Text(RIGHT, 50, s.name, 10.5, True, "r"))
    ops += [Text(RIGHT, 63 + 10.0 * i, t, 7.5, align="r") for i, t in enumerate(lines)]
    ops += _party(d, d.ship_to, LEFT, 170, d.word("ship_to"), with_vat=False)
    ops += _party(d, d.inv.buyer, 300, 170, d.word("bill_to"))
    return ops, 270.0


_HEADS: Final[dict[str, Callable[[_Doc], tuple[Page, float]]]] = {
    "letterhead_right": _letterhead_right, "footer_only": _footer_only, "remit_beside": _remit_beside,
    "ship_first": _ship_first, "brand_top": _brand_top, "stacked": _stacked, "sidebar": _sidebar,
    "key_value": _key_value, "slip": _slip, "gross_column": _gross_column,
}
# The footer each layout closes with: the seller's name with its bank details, in columns, as a legal line, or none.
_FOOTERS: Final = {"letterhead_right": "bank", "footer_only": "columns", "remit_beside": "legal", "ship_first": "bank",
                   "brand_top": "legal", "stacked": "columns", "sidebar": "none", "key_value": "line", "slip": "none",
                   "gross_column": "bank"}


# ------------------------------------------------------------------------------------- table, totals, footer


def _table_columns(x0: float, gross: bool = False, narrow: bool = False) -> list[tuple[str, float, str]]:
    """Column anchors of the item table, scaled from the page's left margin (or a sidebar's edge) to the right."""
    span = RIGHT - x0
    anchors: tuple[tuple[str, float, str], ...] = (
        ("item", 0.0, "l"), ("desc", 0.14 if narrow else 0.1, "l"), ("qty", 0.45 if narrow else 0.47, "r"),
        ("price", 0.6, "r"), ("vat_pct", 0.69 if narrow else 0.7, "r"), ("vat_amount", 0.87 if narrow else 0.83, "r"),
        ("amount", 1.0, "r"))
    if gross:  # net, VAT and each line's total: the rightmost amount is not the line's net amount
        anchors = (("item", 0.0, "l"), ("desc", 0.1, "l"), ("qty", 0.37, "r"), ("price", 0.5, "r"),
                   ("amount", 0.62, "r"), ("vat_pct", 0.7, "r"), ("vat_amount", 0.84, "r"), ("gross", 1.0, "r"))
    return [(key, x0 + 2 + (span - 4) * share, align) for key, share, align in anchors]


def _table_header(d: _Doc, x0: float, y: float) -> Page:
    words = {"item": label("pos", d.lang), "desc": label("desc", d.lang), "qty": label("qty", d.lang),
             "price": label("price", d.lang), "vat_pct": label("vat_pct", d.lang), "vat_amount": d.word("vat_amount"),
             "amount": label("amount", d.lang), "gross": label("total", d.lang)}
    ops: Page = [Box(x0, y - 11, RIGHT - x0, 16, fill=0.88, stroke=False)]
    size = 6.5 if d.gross_column or d.narrow else 7.5
    ops += [Text(x, y, words[key], size, True, align) for key, x, align in _table_columns(x0, d.gross_column, d.narrow)]
    return ops


def _table_row(d: _Doc, x0: float, y: float, index: int) -> Page:
    line = d.inv.lines[index]
    vat = q2(line.net * line.rate / 100)
    name = line.name[:16 if d.gross_column or d.narrow else 26]
    values = {"item": line.seller_item_id, "desc": f"{name} ({unit_label(line.unit, d.lang)})",
              "qty": fmt_qty(line.quantity, d.lang), "price": d.number(line.price),
              "vat_pct": fmt_rate(line.rate, d.lang),
              "vat_amount": d.number(vat), "amount": d.number(line.net), "gross": d.number(line.net + vat)}
    columns = _table_columns(x0, d.gross_column, d.narrow)
    return [Text(x, y, values[key], 7.5 if d.narrow else 8.0, False, align) for key, x, align in columns]


def _totals(d: _Doc, y: float) -> tuple[Page, float]:
    inv, lang = d.inv, d.lang
    t = inv.totals
    rows: list[tuple[str, str, bool]] = []
    if inv.allowances:
        rows.append((label("subtotal", lang), d.number(t.line_total), False))
        rows += [(ac.reason, ("" if ac.charge else "-") + d.number(ac.amount), False) for ac in inv.allowances]
    net = label("net_total", lang) if inv.allowances else d.word("net")  # "Subtotal" is the lines' sum there
    rows.append((net, d.money(t.tax_exclusive), False))
    vat_row = d.word("vat_row")
    for sub in inv.subtotals:
        rows.append((vat_row.format(r=fmt_rate(sub.rate, lang)), d.money(sub.tax), False))
    rows.append((label("total", lang) if t.prepaid else d.word("total"), d.money(t.tax_inclusive), True))
    if t.prepaid:
        rows.append((label("prepaid", lang), "-" + d.money(t.prepaid), False))
        rows.append((label("amount_due", lang), d.money(t.payable), True))
    ops: Page = [Rule(340, y - 12, RIGHT, y - 12, 0.8)]
    for i, (text, value, bold) in enumerate(rows):
        ops.append(Text(345, y + 14.0 * i, text, 8.5, bold))
        ops.append(Text(RIGHT - 2, y + 14.0 * i, value, 8.5, bold, "r"))
    return ops, y + 14.0 * len(rows)


def _footer(d: _Doc, style: str, page_no: int, pages: int) -> Page:
    s, lang = d.inv.seller, d.lang
    a = s.address
    ops: Page = [Text(RIGHT, FOOTER_Y + 34, f"{label('page', lang)} {page_no} {label('of', lang)} {pages}", 7.0,
                      align="r")]
    if style == "none":
        return ops
    ops.append(Rule(LEFT, FOOTER_Y - 10, RIGHT, FOOTER_Y - 10, 0.4))
    if style == "columns":
        cols = ((s.name, a.street, f"{a.postcode} {a.city}"),
                (f"{label('vat_id', lang)}: {s.vat_id}", s.phone, s.email),
                (label("bank", lang), f"IBAN {s.iban}", f"BIC {s.bic}"))
        for c, col in enumerate(cols):
            ops += [Text(LEFT + 170.0 * c, FOOTER_Y + 10.0 * r, t, 7.0) for r, t in enumerate(col)]
    elif style == "line":
        ops.append(Text(PAGE_W / 2, FOOTER_Y, f"{s.name} · {a.street} · {a.postcode} {a.city} · {s.phone}", 7.0,
                        align="c"))
    else:
        first = (f"{s.name} · {a.street} · {a.postcode} {a.city}" if style == "bank"
                 else f"{s.name} – {a.city} – {s.contact} – {label('vat_id', lang)} {s.vat_id}")
        ops.append(Text(PAGE_W / 2, FOOTER_Y, first, 7.0, align="c"))
        ops.append(Text(PAGE_W / 2, FOOTER_Y + 10, f"{label('bank', lang)}: IBAN {s.iban} · BIC {s.bic}", 7.0,
                        align="c"))
    return ops


def layout_hard(inv: SampleInvoice, rng: random.Random, template: str | None = None) -> Layout:
    """Lay ``inv`` out with one of the hard layouts, drawn from ``rng`` (or the one named)."""
    name = template or rng.choice(HARD_TEMPLATES)
    style = rng.choice(("symbol", "symbol", "symbol", "code", "plain"))
    d = _Doc(inv, rng, name in FIRST_HELD_OUT + HELD_OUT, rng.random() < 0.75, style, _ship_to(inv, rng),
             gross_column=name == "gross_column", narrow=name == "sidebar")
    head, y = _HEADS[name](d)
    x0 = 170.0 if name == "sidebar" else LEFT
    pages: list[Page] = [list(head)]
    pages[-1] += _table_header(d, x0, y)
    y += 18
    for i in range(len(inv.lines)):
        if y > FOOTER_Y - 60:
            pages.append([])
            y = 80.0
            pages[-1] += _table_header(d, x0, y)
            y += 18
        pages[-1] += _table_row(d, x0, y, i)
        y += 15
    if y + (210 if name == "slip" else 120) > FOOTER_Y - 20:
        pages.append([])
        y = 80.0
    ops, y = _totals(d, y + 24)
    pages[-1] += ops
    pages[-1].append(Text(LEFT, y + 16, f"{label('terms', d.lang)}: {inv.payment_terms}", 8.0))
    if name == "slip":
        pages[-1] += _slip_tail(d, y + 40)
    style = _FOOTERS[name]
    out = tuple(tuple(page + _footer(d, style, i + 1, len(pages))) for i, page in enumerate(pages))
    return Layout(out, f"hard:{name}", rng.random() < 0.3)
