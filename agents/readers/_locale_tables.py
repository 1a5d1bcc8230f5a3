"""Tables behind `locale_formats`: currency symbols, ISO 4217 codes, month names in six languages.

Kept apart from the parsers so that adding a currency or a month spelling is a data change only.
"""

from __future__ import annotations

# Symbols and local abbreviations; a bare "$" is read as USD, other dollars need their prefix.
SYMBOLS: dict[str, str] = {
    "€": "EUR",
    "£": "GBP",
    "US$": "USD",
    "$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "S$": "SGD",
    "R$": "BRL",
    "MX$": "MXN",
    "¥": "JPY",
    "₹": "INR",
    "₽": "RUB",
    "₺": "TRY",
    "₩": "KRW",
    "₪": "ILS",
    "zł": "PLN",
    "Kč": "CZK",
    "Ft": "HUF",
    "lei": "RON",
    "SFr.": "CHF",
    "Fr.": "CHF",
}

# Active ISO 4217 codes an invoice from or to Europe may carry.
ISO_CURRENCIES: frozenset[str] = frozenset(
    [
        "EUR", "USD", "GBP", "CHF", "JPY", "CNY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "HRK",
        "ISK", "TRY", "RUB", "UAH", "RSD", "BAM", "MKD", "ALL", "MDL", "GEL", "CAD", "AUD", "NZD", "SGD", "HKD",
        "INR", "BRL", "MXN", "ZAR", "KRW", "ILS", "AED", "SAR", "QAR", "KWD", "BHD", "OMR", "EGP", "MAD", "TND",
        "NGN", "KES", "THB", "MYR", "IDR", "PHP", "VND", "TWD", "ARS", "CLP", "COP", "PEN", "UYU",
    ]
)

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar jänner jaenner janvier janv gennaio gen enero ene januari",
        "february feb februar février fevrier févr fevr febbraio febrero februari",
        "march mar märz maerz mär mrz mars marzo maart mrt",
        "april apr avril avr aprile abril",
        "may mai maggio mag mayo mei",
        "june jun juni juin giugno giu junio",
        "july jul juli juillet juil luglio lug julio",
        "august aug août aout agosto ago augustus",
        "september sep sept septembre settembre set septiembre setiembre",
        "october oct oktober okt octobre ottobre ott octubre",
        "november nov novembre noviembre",
        "december dec dezember dez décembre decembre déc dicembre dic diciembre",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number
