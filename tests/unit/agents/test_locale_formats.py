"""Amounts, dates and currencies in the six locales' writing conventions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from agents.readers.locale_formats import (
    currency_code,
    find_amounts,
    find_dates,
    parse_amount,
    parse_date,
    parse_number,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u202f234,56\u00a0€", "1234.56"),
        ("1'234.50", "1234.50"),
        ("CHF 1'234.50", "1234.50"),
        ("€ 12.50", "12.50"),
        ("12,50 €", "12.50"),
        ("EUR 1.000,00", "1000.00"),
        ("-1,234.56", "-1234.56"),
        ("−45,00", "-45.00"),
        ("(50.00)", "-50.00"),
        ("50,00-", "-50.00"),
        ("-€12.50", "-12.50"),
        ("9,9000", "9.9000"),
        ("0,125", "0.125"),
        ("12345.67", "12345.67"),
        ("1.234.567", "1234567"),
    ],
)
def test_parse_amount_reads_every_locale(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["1,23,456", "abc", "", "12.34.56,7.8", "1.2345.678"])
def test_parse_amount_refuses_malformed_grouping(text: str) -> None:
    assert parse_amount(text) is None


def test_three_decimals_after_one_separator_follow_the_hint() -> None:
    assert parse_amount("1,234") == Decimal("1234")
    assert parse_amount("1,234", decimal_hint=",") == Decimal("1.234")
    assert parse_amount("1.234", decimal_hint=".") == Decimal("1.234")


def test_find_amounts_keeps_table_cells_apart_and_carries_currency() -> None:
    found = find_amounts("Trennblätter A4 9,9000 20 Stk 19 % 198,00 EUR")
    assert [a.value for a in found] == [Decimal("9.9000"), Decimal("20"), Decimal("19"), Decimal("198.00")]
    assert found[-1].currency == "EUR"
    assert find_amounts("Total £1,250.00")[0].currency == "GBP"


def test_find_amounts_groups_plain_spaces_only_when_asked() -> None:
    assert [a.value for a in find_amounts("Total TTC 1 234,56")] == [Decimal("1"), Decimal("234.56")]
    assert [a.value for a in find_amounts("Total TTC 1 234,56", space_groups=True)] == [Decimal("1234.56")]


def test_find_amounts_ignores_dates_and_flags_parentheses() -> None:
    assert find_amounts("vom 05.03.2018") == []
    (amount,) = find_amounts("enthaltene Steuer (35,13 €)")
    assert amount.value == Decimal("-35.13") and amount.parenthesized


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("01.03.2026", date(2026, 3, 1)),
        ("01/03/2026", date(2026, 3, 1)),
        ("13/03/2026", date(2026, 3, 13)),
        ("03/13/2026", date(2026, 3, 13)),
        ("1 March 2026", date(2026, 3, 1)),
        ("March 1, 2026", date(2026, 3, 1)),
        ("1st Mar 2026", date(2026, 3, 1)),
        ("1. März 2026", date(2026, 3, 1)),
        ("24. Januar 2014", date(2014, 1, 24)),
        ("1er mars 2026", date(2026, 3, 1)),
        ("15 août 2026", date(2026, 8, 15)),
        ("5 janv. 2026", date(2026, 1, 5)),
        ("1 marzo 2026", date(2026, 3, 1)),
        ("3 dic. 2025", date(2025, 12, 3)),
        ("1 de marzo de 2026", date(2026, 3, 1)),
        ("1 maart 2026", date(2026, 3, 1)),
        ("12 mrt 2026", date(2026, 3, 12)),
        ("1-Mar-26", date(2026, 3, 1)),
        ("vom 05.03.18", date(2018, 3, 5)),
    ],
)
def test_parse_date_reads_every_locale(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_ambiguous_numeric_dates_are_day_first_unless_month_first() -> None:
    assert parse_date("04/05/2026") == date(2026, 5, 4)
    assert parse_date("04/05/2026", month_first=True) == date(2026, 4, 5)
    assert parse_date("04.05.2026", month_first=True) == date(2026, 5, 4)  # dots are always day-first


def test_impossible_dates_are_refused() -> None:
    assert parse_date("31.02.2026") is None
    assert parse_date("2026-13-01") is None
    assert find_dates("Nummer 12345678 und 1.234,56") == []


@pytest.mark.parametrize(
    ("token", "code"),
    [("€", "EUR"), ("eur", "EUR"), ("£", "GBP"), ("US$", "USD"), ("$", "USD"), ("CHF", "CHF"), ("Fr.", "CHF"),
     ("zł", "PLN"), ("Kč", "CZK"), ("SEK", "SEK"), ("XYZ", None), ("", None)],
)
def test_currency_code(token: str, code: str | None) -> None:
    assert currency_code(token) == code


def test_amounts_with_the_longest_lead_before_their_digits_are_found() -> None:
    # "(", sign, currency and spaces may come before the first digit: the search starts far enough back
    found = find_amounts("Betrag ( - SFr. - 5,00 ) und A4 mal 2")
    assert [(a.start, a.value, a.currency) for a in found] == [(7, Decimal("-5.00"), "CHF"), (36, Decimal(2), None)]
    assert find_amounts("no digits at all") == []


def test_find_amounts_gives_the_matches_of_a_plain_scan() -> None:
    from agents.readers.locale_formats import _AMOUNT, _AMOUNT_SPACED

    texts = ["1.234,56 €  20 198,00  (50.00)", "INV-2025-001 15.05.2025 12,50 EUR", "CHF 1'234.50 - 7-", "A4 4A 4"]
    for text in texts:
        for spaced, pattern in ((False, _AMOUNT), (True, _AMOUNT_SPACED)):
            spans = [(a.start, a.end) for a in find_amounts(text, space_groups=spaced)]
            plain = [m.span() for m in pattern.finditer(text) if parse_number(m.group(5)) is not None]
            assert spans == plain, text


def test_plain_digits_parse_as_integers() -> None:
    assert parse_number("2025") == (Decimal(2025), 0)
    assert parse_number("007") == (Decimal(7), 0)


def test_a_number_no_invoice_states_is_no_amount() -> None:
    assert parse_number("999999999999999") == (Decimal("999999999999999"), 0)  # 15 digits: a big total
    assert parse_number("1000000000000000") is None  # 16: an account or a reference, not an amount
    assert parse_number("500105175407324931") is None  # the digits of an IBAN
    assert parse_number("12.345.678.901.234.567,00") is None
    assert parse_number("1.000.000,50") == (Decimal("1000000.50"), 2)
