"""Numbers, dates and currencies as six European locales write them (EN, DE, FR, IT, ES, NL).

An invoice printed in Munich writes 1.234,56 and 05.03.2018; one from Lyon writes 1 234,56 € and
1er mars 2026; one from Zurich writes 1'234.50 CHF; one from Chicago writes $1,234.56 and 03/05/2018.
The text reader must turn all of these into exact Decimals and dates without knowing the locale in
advance, so each parser reads the shape of the value, takes a hint only where the shape is ambiguous
(1,234 or 03/05/2018), and refuses rather than guesses when a value cannot be a well-formed amount.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from agents.readers._locale_tables import ISO_CURRENCIES, MONTHS, SYMBOLS
from schemas import AMOUNT_LIMIT, fits_amount

_MAX_INTEGER_DIGITS = len(str(AMOUNT_LIMIT)) - 1  # 15 digits: below 10^15

__all__ = ["ISO_CURRENCIES", "AmountMatch", "DateMatch", "currency_code", "find_amounts", "find_dates",
           "parse_amount", "parse_date", "parse_number"]

_SPACES = "\u00a0\u202f\u2009\u2007 "
_MINUS = "-\u2212\u2013"
_MONTH_WORD = r"[A-Za-zÀ-ÿ]{3,10}\.?"
_NUM_DATE = re.compile(r"(?<![\d.,/-])(\d{1,4})([./-])(\d{1,2})\2(\d{2,4})(?![\d]|[.,/-]\d)")
_TEXT_DATE = re.compile(
    r"(?<!\d)(\d{1,2})(?:\.|er|st|nd|rd|th|º|°)?\s*(?:de\s+|of\s+)?(" + _MONTH_WORD + r")"
    r"\s*,?\s*(?:de[l]?\s+)?(\d{4})(?!\d)",
    re.IGNORECASE,
)
_TEXT_DATE_US = re.compile(
    r"(?<![\w])(" + _MONTH_WORD + r")\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)", re.IGNORECASE
)
_SYMBOL_RE = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
_CODE_RE = r"\b(?:" + "|".join(sorted(ISO_CURRENCIES)) + r")\b"
_CURRENCY = rf"(?:{_SYMBOL_RE}|{_CODE_RE})"


def _amount_re(group_seps: str) -> re.Pattern[str]:
    number = rf"\d{{1,3}}(?:[{group_seps}]\d{{3}})+(?:[.,]\d{{1,4}})?|\d+(?:[.,]\d{{1,4}})?"
    return re.compile(
        rf"(?<![\w.,/-])(\()?\s?([{_MINUS}])?\s?({_CURRENCY})?\s?([{_MINUS}])?\s?({number})(-(?!\d))?"
        rf"(?:\s?({_CURRENCY}))?(\))?(?![\w]|[.,/]\d)"
    )


_AMOUNT = _amount_re(".,'’\u00a0\u202f\u2009")
_AMOUNT_SPACED = _amount_re(".,'’\u00a0\u202f\u2009 ")
# An amount starts at most this far before its first digit: "(", signs, spaces and a currency come first.
_LEAD = 7 + max(3, *map(len, SYMBOLS))
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class AmountMatch:
    """An amount found in a string: where, its value, and the currency written next to it, if any."""

    start: int
    end: int
    value: Decimal
    currency: str | None
    decimals: int
    parenthesized: bool = False


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found in a string, with its position."""

    start: int
    end: int
    value: date


def currency_code(token: str) -> str | None:
    """ISO 4217 code of a currency symbol, local abbreviation or code.

    Args:
        token: "€", "EUR", "CHF", "zł", "US$"...

    Returns:
        The ISO code, or None when the token is not a known currency.
    """
    token = token.strip()
    if token.upper() in ISO_CURRENCIES:
        return token.upper()
    return SYMBOLS.get(token)


def parse_number(text: str, decimal_hint: str | None = None) -> tuple[Decimal, int] | None:
    """Parse an unsigned number written with any of the six locales' separators.

    Args:
        text: Digits with optional grouping (".", ",", "'", spaces) and decimal separator.
        decimal_hint: "," or "." when the document's decimal separator is known; it decides
            only the ambiguous shape of a single separator followed by exactly three digits.

    Returns:
        The value and its number of decimals, or None when the grouping is malformed or the value is no
        number an invoice carries (`schemas.fits_amount`: a run of 16 digits is an account, not a total).
    """
    if text.isdigit():  # the common case, "2025" or "24": what the general path below returns for it
        return (Decimal(text), 0) if len(text) <= _MAX_INTEGER_DIGITS else None
    text = text.strip().replace("’", "'")
    for space in _SPACES:
        text = text.replace(space, " ")
    if not text or not text[0].isdigit() or not text[-1].isdigit():
        return None
    seps = [c for c in text if not c.isdigit()]
    if not seps:
        return Decimal(text), 0
    last = max(text.rfind("."), text.rfind(","))
    decimal_sep: str | None = None
    kinds = set(seps)
    if {".", ","} <= kinds:
        decimal_sep = text[last]
    elif kinds <= {".", ","} and len(seps) == 1:
        tail = len(text) - last - 1
        head = text[:last]
        if tail != 3 or head == "0":
            decimal_sep = text[last]
        elif decimal_hint is not None:
            decimal_sep = text[last] if text[last] == decimal_hint else None
    elif kinds & {".", ","} and text[last] in ".," and seps.count(text[last]) == 1:
        decimal_sep = text[last]  # "1 234,56" or "1'234.50": grouping by space or apostrophe
    if decimal_sep is not None:
        integer, fraction = text[: text.rfind(decimal_sep)], text[text.rfind(decimal_sep) + 1 :]
    else:
        integer, fraction = text, ""
    if fraction and not fraction.isdigit():
        return None
    if not _well_grouped(integer):
        return None
    digits = "".join(c for c in integer if c.isdigit())
    try:
        value = Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation:
        return None
    return (value, len(fraction)) if fits_amount(value) else None


def _well_grouped(integer: str) -> bool:
    seps = {c for c in integer if not c.isdigit()}
    if not seps:
        return True
    if len(seps) > 1:
        return False
    groups = integer.split(seps.pop())
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def parse_amount(text: str, decimal_hint: str | None = None) -> Decimal | None:
    """Parse one amount: sign, currency symbol or code, grouping and decimals of any of the locales.

    Args:
        text: For example "1.234,56 €", "-1,234.56", "(50.00)", "CHF 1'234.50", "1 234,56", "50,00-".
        decimal_hint: See `parse_number`.

    Returns:
        The signed value, or None when the text is not exactly one amount.
    """
    text = unicodedata.normalize("NFC", text.strip())
    found = find_amounts(text, decimal_hint=decimal_hint, space_groups=True)
    if len(found) != 1 or found[0].start > 1 or found[0].end < len(text.rstrip(".")) - 1:
        return None
    return found[0].value


def find_amounts(
    text: str, decimal_hint: str | None = None, *, space_groups: bool = False
) -> list[AmountMatch]:
    """Every amount in a string, left to right.

    Args:
        text: A line of text.
        decimal_hint: See `parse_number`.
        space_groups: Accept plain spaces as thousands separators ("1 234,56"). Off by default,
            because table rows put a quantity and an amount side by side ("20 198,00"); no-break
            and thin spaces are always accepted.

    Returns:
        The amounts with their spans, signs applied.
    """
    out: list[AmountMatch] = []
    pattern, pos = (_AMOUNT_SPACED if space_groups else _AMOUNT), 0
    # finditer's matches, each search begun `_LEAD` characters before the next digit (look-behinds see past it)
    while (digit := _DIGIT.search(text, pos)) is not None:
        m = pattern.search(text, max(pos, digit.start() - _LEAD))
        if m is None:
            break
        pos = m.end()
        paren_open, sign1, cur1, sign2, number, trailing, cur2, paren_close = m.groups()
        parsed = parse_number(number, decimal_hint)
        if parsed is None:
            continue
        value, decimals = parsed
        parenthesized = bool(paren_open and paren_close)
        negative = bool(sign1 or sign2 or trailing) or parenthesized
        currency = currency_code(cur1 or cur2 or "") if (cur1 or cur2) else None
        out.append(AmountMatch(m.start(), pos, -value if negative else value, currency, decimals, parenthesized))
    return out


def parse_date(text: str, *, month_first: bool = False) -> date | None:
    """Parse one date written in any of the six locales.

    Args:
        text: "2026-03-01", "01.03.2026", "01/03/2026", "1 March 2026", "1. März 2026", "1er mars 2026",
            "1 marzo 2026", "1 de marzo de 2026", "1 maart 2026", "March 1, 2026", "1-Mar-26"...
        month_first: Read an ambiguous numeric date (both parts <= 12) as MM/DD (US usage).

    Returns:
        The first date found, or None.
    """
    found = find_dates(text, month_first=month_first)
    return found[0].value if found else None


def find_dates(text: str, *, month_first: bool = False) -> list[DateMatch]:
    """Every date in a string, left to right (see `parse_date` for the shapes).

    Args:
        text: A line of text.
        month_first: Read ambiguous numeric dates as MM/DD.

    Returns:
        The valid dates with their spans; impossible dates (31.02.) are skipped.
    """
    found: list[DateMatch] = []
    for m in _NUM_DATE.finditer(text):
        value = _numeric_date(m.group(1), m.group(2), m.group(3), m.group(4), month_first)
        if value is not None:
            found.append(DateMatch(m.start(), m.end(), value))
    for m in _TEXT_DATE.finditer(text):
        month = _month(m.group(2))
        value = _make_date(int(m.group(3)), month, int(m.group(1))) if month else None
        if value is not None:
            found.append(DateMatch(m.start(), m.end(), value))
    for m in _TEXT_DATE_US.finditer(text):
        month = _month(m.group(1))
        value = _make_date(int(m.group(3)), month, int(m.group(2))) if month else None
        if value is not None:
            found.append(DateMatch(m.start(), m.end(), value))
    found.extend(_dashed_month_dates(text))
    found.sort(key=lambda d: d.start)
    out: list[DateMatch] = []
    for item in found:
        if out and item.start < out[-1].end:
            continue
        out.append(item)
    return out


_DASHED = re.compile(r"(?<![\w])(\d{1,2})[-\s](" + _MONTH_WORD + r")[-\s](\d{2}|\d{4})(?![\w])")


def _dashed_month_dates(text: str) -> list[DateMatch]:
    out: list[DateMatch] = []
    for m in _DASHED.finditer(text):
        month = _month(m.group(2))
        if not month or len(m.group(3)) != 2:
            continue
        value = _make_date(_full_year(int(m.group(3))), month, int(m.group(1)))
        if value is not None:
            out.append(DateMatch(m.start(), m.end(), value))
    return out


def _month(word: str) -> int | None:
    key = word.lower().rstrip(".")
    return MONTHS.get(key)


def _full_year(year: int) -> int:
    return year + (2000 if year < 70 else 1900) if year < 100 else year


def _numeric_date(a: str, sep: str, b: str, c: str, month_first: bool) -> date | None:
    if len(a) == 4:  # ISO order: year first
        return _make_date(int(a), int(b), int(c)) if len(c) <= 2 else None
    if len(a) == 3 or len(c) == 3:
        return None
    first, second, year = int(a), int(b), _full_year(int(c))
    if sep == ".":
        return _make_date(year, second, first)  # dotted dates are day-first everywhere
    if first > 12:
        return _make_date(year, second, first)
    if second > 12:
        return _make_date(year, first, second)
    return _make_date(year, first, second) if month_first else _make_date(year, second, first)


def _make_date(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2199:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
