"""``make_invoice``: one random but internally consistent invoice.

Why the shape of the randomness: it mirrors what an EU inbox holds: mostly domestic invoices with the seller's
standard and reduced VAT rates, some intra-EU reverse-charge ones, mostly EUR, a few credit notes, occasional
discounts, freight charges and prepayments, dates within the last two years. The invoice number embeds the
document index behind a non-digit separator in every numbering style, so numbers never collide within a run.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from ._checksums import rf_reference
from ._i18n import LANGS, label, payment_terms
from ._model import ZERO, AllowanceCharge, Line, Party, SampleInvoice, compute_tax, q2
from ._parties import buyer_pool, seller_pool
from ._words import COUNTRIES, ITEMS

# standard rate first, then the reduced rate used for food, books and lodging
VAT_RATES: Final = {"DE": ("19", "7"), "AT": ("20", "10"), "FR": ("20", "5.5", "10"), "BE": ("21", "6"),
                    "IT": ("22", "10"), "ES": ("21", "10"), "NL": ("21", "9"), "PL": ("23", "8"),
                    "SE": ("25", "12"), "IE": ("23", "13.5")}
SELLER_COUNTRIES: Final = {"en": ("IE", "IE", "SE", "PL", "NL", "DE"), "de": ("DE", "DE", "DE", "AT"),
                           "fr": ("FR", "FR", "BE"), "it": ("IT",), "es": ("ES",), "nl": ("NL", "NL", "BE")}
_CURRENCY_FACTOR: Final = {"EUR": Decimal(1), "GBP": Decimal("0.86"), "CHF": Decimal("0.94"),
                           "USD": Decimal("1.08"), "SEK": Decimal("11.2"), "PLN": Decimal("4.3")}
_NUMBER_BASE: Final = (1, 10001, 1, 1, 90000001, 1, 1, 1)
_DUE_DAYS: Final = (0, 7, 10, 14, 14, 21, 30, 30, 30, 30, 45, 60)


def invoice_number(kind: int, code: str, issue: date, index: int) -> str:
    """Seller-style invoice number; the index is always a digit run delimited by non-digits or the string end."""
    seq, y, yy = index + _NUMBER_BASE[kind], issue.year, issue.year % 100
    if kind == 0:
        return f"INV-{y}-{seq:06d}"
    if kind == 1:
        return f"RE-{y}-{seq:05d}"
    if kind == 2:
        return f"FA{yy:02d}-{seq:06d}"
    if kind == 3:
        return f"{code}{seq:07d}"
    if kind == 4:
        return f"{seq:08d}"
    if kind == 5:
        return f"{seq}/{y}"
    if kind == 6:
        return f"{code}-{yy:02d}-{seq:05d}"
    return f"FV/{seq}/{issue.month:02d}/{y}"


def _quantity(rng: random.Random, unit: str, unit_cents: int) -> Decimal:
    """Quantities skewed small, the way most invoice lines are; cheap goods come in larger counts."""
    if unit == "HUR":
        return Decimal(rng.choice((1, 2, 3, 4, 6, 8, 8, 12, 16, 24, 40, 80))) / (4 if rng.random() < 0.2 else 1) + (
            Decimal("0.5") if rng.random() < 0.3 else 0)
    if unit == "KGM":
        return Decimal(rng.randint(250, 60000)) / 1000
    if unit == "MTK":
        return Decimal(rng.randint(50, 2500)) / 10
    if unit in ("MTR", "LTR"):
        return Decimal(rng.choice((5, 10, 12, 24, 25, 50, 100, 250)))
    if unit == "KWH":
        return Decimal(rng.randint(150, 12000))
    if unit == "DAY":
        return Decimal(rng.choice((1, 1, 2, 3, 5)))
    if unit == "MON":
        return Decimal(rng.choice((1, 1, 1, 3, 6, 12)))
    if unit_cents > 50000:
        return Decimal(rng.choice((1, 1, 1, 2, 2, 3, 5)))
    if unit_cents < 3000:
        return Decimal(rng.choice((1, 2, 5, 10, 10, 20, 24, 50, 100, 120)))
    return Decimal(rng.choice((1, 1, 2, 3, 4, 5, 6, 10, 12)))


def _lines(rng: random.Random, lang: str, currency: str, rates: tuple[Decimal, Decimal],
           reverse: bool) -> tuple[Line, ...]:
    count = min(15, 1 + int(rng.expovariate(1 / 3.5)))
    factor = _CURRENCY_FACTOR[currency]
    lang_i = LANGS.index(lang)
    lines = []
    for i in range(count):
        key, unit, lo, hi, reduced, names = rng.choice(ITEMS)
        cents = rng.randint(lo, hi)
        if hi < 200:  # utility prices carry four decimals
            price = (Decimal(cents * 100 + rng.randint(0, 99)) / 10000 * factor).quantize(Decimal("0.0001"))
        else:
            price = q2(Decimal(cents) / 100 * factor)
        qty = _quantity(rng, unit, cents)
        category, rate = ("AE", ZERO) if reverse else ("S", rates[1] if reduced else rates[0])
        lines.append(Line(str(i + 1), names.split("|")[lang_i], f"{key[:3].upper()}-{rng.randint(1000, 99999)}",
                          qty, unit, price, q2(qty * price), category, rate))
    return tuple(lines)


def _allowances(rng: random.Random, lang: str, lines: tuple[Line, ...],
                factor: Decimal) -> tuple[AllowanceCharge, ...]:
    out: list[AllowanceCharge] = []
    if rng.random() < 0.15:
        pick = rng.choice(lines)
        base = sum((ln.net for ln in lines if (ln.category, ln.rate) == (pick.category, pick.rate)), ZERO)
        amount = q2(base * Decimal(rng.choice((2, 3, 5, 10))) / 100)
        if amount > 0:
            out.append(AllowanceCharge(False, amount, label("allowance", lang), "95", pick.category, pick.rate))
    if rng.random() < 0.10:
        pick = rng.choice(lines)
        amount = q2(Decimal(rng.randint(500, 15000)) / 100 * factor)
        out.append(AllowanceCharge(True, amount, label("charge", lang), "FC", pick.category, pick.rate))
    return tuple(out)


def _currency(rng: random.Random, country: str) -> str:
    if country == "SE" and rng.random() < 0.7:
        return "SEK"
    if country == "PL" and rng.random() < 0.7:
        return "PLN"
    return "EUR" if rng.random() < 0.9 else rng.choice(("GBP", "CHF", "USD"))


def _buyer_reference(rng: random.Random, buyer: Party) -> str:
    pick = rng.randrange(3)
    if pick == 0:
        return f"CC-{rng.randint(100, 9999)}"
    if pick == 1:
        return buyer.contact
    return f"{rng.choice(('FIN', 'OPS', 'IT', 'HR', 'PUR'))}/{rng.randint(10, 999)}"


def make_invoice(
    rng: random.Random, index: int, *, base_date: date | None = None, language: str | None = None,
    credit_note_ratio: float = 0.1, pool_seed: int = 0,
) -> SampleInvoice:
    """Build invoice number ``index`` from ``rng``; ``base_date`` (default today) bounds the issue date."""
    base = base_date or date.today()
    lang = language if language in LANGS else rng.choice(LANGS)
    seller_country = rng.choice(SELLER_COUNTRIES[lang])
    seller = rng.choice(seller_pool(pool_seed, seller_country))
    buyer_country = seller_country if rng.random() < 0.7 else rng.choice(COUNTRIES)
    buyer = rng.choice(buyer_pool(pool_seed, buyer_country))
    credit = rng.random() < credit_note_ratio
    issue = base - timedelta(days=rng.randint(0, 729))
    due_days = rng.choice(_DUE_DAYS)
    discount = (rng.choice((2, 3)), rng.choice((7, 10, 14))) if due_days >= 30 and rng.random() < 0.25 else None
    currency = _currency(rng, seller_country)
    reverse = buyer_country != seller_country and buyer.vat_id is not None and rng.random() < 0.6
    standard, reduced = (Decimal(r) for r in VAT_RATES[seller_country][:2])
    lines = _lines(rng, lang, currency, (standard, reduced), reverse)
    allowances = _allowances(rng, lang, lines, _CURRENCY_FACTOR[currency])
    exemption = (label("reverse", lang), "VATEX-EU-AE") if reverse else None
    subtotals, totals = compute_tax(lines, allowances, ZERO, exemption)
    if not credit and rng.random() < 0.1:
        prepaid = q2(totals.tax_inclusive * Decimal(rng.choice((20, 25, 30, 40, 50))) / 100)
        totals = replace(totals, prepaid=prepaid, payable=totals.tax_inclusive - prepaid)
    number = invoice_number(seller.number_kind, seller.code, issue, index)
    ref_pick = rng.random()
    if ref_pick < 0.25:
        payment_reference = rf_reference(f"{index + 1:09d}")
    elif ref_pick < 0.35:
        payment_reference = f"{seller.code} {number}"
    else:
        payment_reference = number
    order = rng.randrange(3) if rng.random() < 0.4 else -1
    order_reference = (None, f"PO-{rng.randint(10000, 99999)}", f"45{rng.randint(0, 99999999):08d}",
                       f"BST-{issue.year}-{rng.randint(100, 9999)}")[order + 1]
    earlier = max(0, index - rng.randint(1, 400))
    preceding = invoice_number(seller.number_kind, seller.code, issue - timedelta(days=rng.randint(5, 90)),
                               earlier) if credit else None
    return SampleInvoice(
        index=index, number=number, type_code="381" if credit else "380", issue_date=issue,
        due_date=None if credit else issue + timedelta(days=due_days),
        delivery_date=issue - timedelta(days=rng.randint(0, 14)) if rng.random() < 0.5 else None,
        currency=currency, language=lang, seller=seller, buyer=buyer, lines=lines, allowances=allowances,
        subtotals=subtotals, totals=totals, payment_terms=payment_terms(lang, due_days, discount),
        payment_means="58" if currency == "EUR" else "30", payment_reference=payment_reference,
        buyer_reference=_buyer_reference(rng, buyer), order_reference=order_reference,
        preceding_invoice=preceding, note=label("thanks", lang) if rng.random() < 0.3 else None,
    )
