"""The blocks the hard text-PDF layouts (`_hard`) are made of: one document's choices, party and meta blocks,
the remittance box, the item table, the totals and the footers.

Why apart from the layouts: a layout decides where things stand; how a party block, a VAT column or a footer
with bank details reads is the same in every layout, the way `_layout` serves the standard `_templates`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final

from ._hard_words import long_date, money, number_text, site_word, wording
from ._i18n import fmt_date, fmt_qty, fmt_rate, label, unit_label
from ._layout import FOOTER_Y, LEFT, PAGE_W, RIGHT, Box, Page, Rule, Text
from ._model import Party, SampleInvoice, q2
from ._parties import buyer_pool
from ._words import COUNTRY_NAMES

LANG_COL: Final = {"en": 0, "de": 1, "fr": 2, "it": 3, "es": 4, "nl": 5}


@dataclass(frozen=True, slots=True)
class Doc:
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


def ship_to(inv: SampleInvoice, rng: random.Random) -> Party:
    """The ship-to party: the buyer at one of its sites, or another company (a forwarder, a subsidiary)."""
    b = inv.buyer
    if rng.random() < 0.35:
        other = rng.choice([p for p in buyer_pool(inv.index % 7, b.address.country) if p.name != b.name])
        return replace(other, contact=b.contact)
    street = f"{site_word(inv.language, rng)} {rng.randint(1, 9)}" if rng.random() < 0.5 else b.address.street
    return replace(b, address=replace(b.address, street=street))


def address(party: Party, lang: str, with_country: bool) -> list[str]:
    a = party.address
    lines = [a.street, f"{a.postcode} {a.city}"]
    if with_country:
        lines.append(COUNTRY_NAMES[a.country][LANG_COL[lang]])
    return lines


def party(d: Doc, party: Party, x: float, y: float, heading: str | None, *, inline: bool = False,
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
    lines = address(party, d.lang, party.address.country != d.inv.seller.address.country)
    if site:
        lines.insert(0, f"Attn: {party.contact}")
    if with_vat and party.vat_id:
        lines.append(f"{label('vat_id', d.lang)}: {party.vat_id}")
    ops += [Text(x, y + 11 + 10.5 * i, t, 8.5) for i, t in enumerate(lines)]
    return ops


def meta(d: Doc) -> list[tuple[str, str]]:
    inv = d.inv
    number = label("cn_number", d.lang) if inv.is_credit_note else d.word("number")
    rows = [(number, inv.number), (d.word("date"), d.date("issue"))]
    if inv.due_date:
        rows.append((d.word("due"), d.date("due")))
    if inv.order_reference:
        rows.append((label("order", d.lang), inv.order_reference))
    rows.append((d.word("customer_no"), inv.buyer_reference))
    if d.money_style == "plain":
        rows.append((("Currency", "Währung", "Devise", "Valuta", "Moneda", "Valuta")[LANG_COL[d.lang]],
                     inv.currency))
    return rows


def meta_block(d: Doc, x_label: float, x_value: float, y: float, right: bool = True) -> Page:
    ops: Page = []
    for i, (key, value) in enumerate(meta(d)):
        ops.append(Text(x_label, y + 12.5 * i, key, 8.0))
        ops.append(Text(x_value, y + 12.5 * i, value, 8.0, True, "r" if right else "l"))
    return ops


def title(d: Doc) -> str:
    return label("credit_note" if d.inv.is_credit_note else "invoice", d.lang)


def remit(d: Doc, x: float, y: float) -> Page:
    s = d.inv.seller
    rows = [s.name, f"IBAN {s.iban}", f"BIC {s.bic}", f"{label('reference', d.lang)}: {d.inv.payment_reference}"]
    ops: Page = [Box(x - 6, y - 11, RIGHT - x + 6, 14 + 11.0 * len(rows), fill=None, stroke=True),
                 Text(x, y, d.word("remit"), 8.0, True)]
    ops += [Text(x, y + 12 + 11.0 * i, t, 8.0) for i, t in enumerate(rows)]
    return ops




def table_columns(x0: float, gross: bool = False, narrow: bool = False) -> list[tuple[str, float, str]]:
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


def table_header(d: Doc, x0: float, y: float) -> Page:
    words = {"item": label("pos", d.lang), "desc": label("desc", d.lang), "qty": label("qty", d.lang),
             "price": label("price", d.lang), "vat_pct": label("vat_pct", d.lang), "vat_amount": d.word("vat_amount"),
             "amount": label("amount", d.lang), "gross": label("total", d.lang)}
    ops: Page = [Box(x0, y - 11, RIGHT - x0, 16, fill=0.88, stroke=False)]
    size = 6.5 if d.gross_column or d.narrow else 7.5
    ops += [Text(x, y, words[key], size, True, align) for key, x, align in table_columns(x0, d.gross_column, d.narrow)]
    return ops


def table_row(d: Doc, x0: float, y: float, index: int) -> Page:
    line = d.inv.lines[index]
    vat = q2(line.net * line.rate / 100)
    name = line.name[:16 if d.gross_column or d.narrow else 26]
    values = {"item": line.seller_item_id, "desc": f"{name} ({unit_label(line.unit, d.lang)})",
              "qty": fmt_qty(line.quantity, d.lang), "price": d.number(line.price),
              "vat_pct": fmt_rate(line.rate, d.lang),
              "vat_amount": d.number(vat), "amount": d.number(line.net), "gross": d.number(line.net + vat)}
    columns = table_columns(x0, d.gross_column, d.narrow)
    return [Text(x, y, values[key], 7.5 if d.narrow else 8.0, False, align) for key, x, align in columns]


def totals(d: Doc, y: float) -> tuple[Page, float]:
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


def footer(d: Doc, style: str, page_no: int, pages: int) -> Page:
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
    elif style == "bank_only":  # the bank and the register, never the seller's name
        ops.append(Text(PAGE_W / 2, FOOTER_Y, f"{label('bank', lang)}: IBAN {s.iban} · BIC {s.bic}", 7.0, align="c"))
        ops.append(Text(PAGE_W / 2, FOOTER_Y + 10, f"{a.city} · {s.phone} · {s.email}", 7.0, align="c"))
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

