"""Tests of the hard text-PDF family of the generator (tools.samples._hard, _hard_words)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from tools.samples import generate_samples, make_invoice
from tools.samples._hard import HARD_TEMPLATES, HELD_OUT, HELD_OUT_ROUND, TUNED, layout_hard
from tools.samples._hard_words import long_date, money, number_text, wording
from tools.samples._layout import Text
from tools.samples._model import q2

BASE = date(2026, 3, 1)


def _text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    out = tmp_path_factory.mktemp("hard")
    return out, generate_samples(out, 64, ("text_pdf_hard",), seed=11, base_date=BASE)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ("August 3, 2014", "3 August 2014")), ("de", ("3. August 2014",)), ("fr", ("3 août 2014",)),
    ("it", ("3 agosto 2014",)), ("es", ("3 de agosto de 2014",)), ("nl", ("3 augustus 2014",)),
])
def test_long_dates_in_six_languages(lang: str, expected: tuple[str, ...]) -> None:
    seen = {long_date(date(2014, 8, 3), lang, random.Random(i)) for i in range(20)}
    assert seen == set(expected)
    assert long_date(date(2014, 3, 1), "fr", random.Random(0)) == "1er mars 2014"
    assert long_date(date(2014, 3, 3), "de", random.Random(0)) == "3. März 2014"


def test_money_carries_symbols_and_the_currency_habit() -> None:
    assert money(Decimal("1234.5"), "EUR", "de", "symbol") == "1.234,50 €"
    assert money(Decimal("1234.5"), "EUR", "nl", "symbol") == "€ 1.234,50"
    assert money(Decimal("1234.5"), "GBP", "en", "symbol") == "£1,234.50"
    assert money(Decimal("1234.5"), "INR", "en", "symbol") == "₹1,234.50"
    assert money(Decimal("1234.5"), "CHF", "de", "symbol") == "CHF 1'234.50"
    assert money(Decimal("1234.5"), "SEK", "en", "symbol") == "1 234,50 kr"
    assert money(Decimal("1234.5"), "EUR", "en", "code") == "EUR 1,234.50"
    assert money(Decimal("1234.5"), "EUR", "fr", "plain") == "1 234,50"


def test_held_out_wordings_are_apart_from_tuned_ones() -> None:
    for key in ("number", "date", "due", "bill_to", "ship_to", "remit"):
        for lang in ("en", "de", "fr", "it", "es", "nl"):
            tuned = {wording(key, lang, random.Random(i), False) for i in range(30)}
            held = {wording(key, lang, random.Random(i), True) for i in range(30)}
            assert tuned and held and not tuned & held, (key, lang)


def test_the_family_covers_every_layout_and_flags_the_held_out_ones(
        hard: tuple[Path, list[dict[str, object]]]) -> None:
    _, rows = hard
    templates = Counter(str(r["template"]) for r in rows)
    assert set(templates) == {f"hard:{t}" for t in HARD_TEMPLATES}
    assert set(HELD_OUT_ROUND) == set(HARD_TEMPLATES) and len(HARD_TEMPLATES) == len(set(HARD_TEMPLATES))
    assert {HELD_OUT_ROUND[t] for t in TUNED} == {0}
    # the held-out layouts are the last rounds, after every round the reader was tuned on
    tuned_on = max(HELD_OUT_ROUND[t] for t in HARD_TEMPLATES if t not in HELD_OUT)
    assert min(HELD_OUT_ROUND[t] for t in HELD_OUT) > tuned_on
    assert max(HELD_OUT_ROUND.values()) in {HELD_OUT_ROUND[t] for t in HELD_OUT}
    for row in rows:
        name = str(row["template"]).removeprefix("hard:")
        assert row["format"] == "text-pdf" and row["layout_family"] == "hard"
        assert row["held_out_layout"] == (name in HELD_OUT) and row["held_out_round"] == HELD_OUT_ROUND[name]


def test_hard_pdfs_show_number_total_and_a_currency_beyond_euros(hard: tuple[Path, list[dict[str, object]]]) -> None:
    out, rows = hard
    assert {"EUR"} < {str(r["currency"]) for r in rows}  # some euro invoices moved to other currencies
    assert any(r["pages"] == 2 for r in rows if r["template"] == "hard:page_two")
    for row in rows:
        text = _text((out / str(row["file"])).read_bytes())
        check = row["text_check"]
        assert isinstance(check, dict) and check["invoice_number_in_text"]
        assert check["total_gross_in_text"] or row["currency"] == "CHF"  # 1'234.50 is not a spelling it looks for
        flat = "".join(text.split()).casefold()  # a name may break over two lines
        assert str(row["buyer_name"]) in text and "".join(str(row["seller_name"]).split()).casefold() in flat


def test_each_layout_puts_the_seller_where_it_says() -> None:
    inv = make_invoice(random.Random(3), 3, base_date=BASE, language="en")
    for name in HARD_TEMPLATES:
        layout = layout_hard(inv, random.Random(1), name)
        assert layout.template == f"hard:{name}"
        texts = [op.text for page in layout.pages for op in page if hasattr(op, "text")]
        assert any(inv.buyer.name in t for t in texts)
    gross = layout_hard(inv, random.Random(1), "gross_column")
    line = inv.lines[0]
    first = next(op for op in gross.pages[0] if isinstance(op, Text) and op.text == line.seller_item_id)
    row = sorted((op for op in gross.pages[0] if isinstance(op, Text) and op.y == first.y), key=lambda op: op.x)
    vat = q2(line.net * line.rate / 100)
    assert number_text(line.net, inv.currency, "en") in [op.text for op in row]
    assert row[-1].text == number_text(line.net + vat, inv.currency, "en")  # the rightmost is the line's total
    page_two = layout_hard(inv, random.Random(1), "page_two")
    assert not any(isinstance(op, Text) and inv.seller.name in op.text for op in page_two.pages[0])
    assert any(isinstance(op, Text) and op.text == inv.seller.name for op in page_two.pages[-1])
    footer_only = layout_hard(inv, random.Random(1), "footer_only")
    tops = [op for op in footer_only.pages[0] if hasattr(op, "text") and inv.seller.name in op.text]
    assert tops and all(op.y > 700 for op in tops)  # the seller is named in the footer only


def test_same_seed_same_hard_documents(tmp_path: Path) -> None:
    a = generate_samples(tmp_path / "a", 8, ("text_pdf_hard",), seed=4, base_date=BASE)
    b = generate_samples(tmp_path / "b", 8, ("text_pdf_hard",), seed=4, base_date=BASE)
    c = generate_samples(tmp_path / "c", 8, ("text_pdf_hard",), seed=5, base_date=BASE)
    assert [r["sha256"] for r in a] == [r["sha256"] for r in b]
    assert not {r["sha256"] for r in a} & {r["sha256"] for r in c}
