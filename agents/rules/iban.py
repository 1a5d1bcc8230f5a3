"""IBAN validation (ISO 13616): country length table and the mod-97 check digits.

The seller's IBAN is where the money goes, so a misread digit is expensive and a changed one is a fraud
signal (the vendor rule). The check digits catch every single-character error and nearly every
transposition; the length per country catches a dropped or doubled digit that the checksum could miss.
"""

from __future__ import annotations

import re

from agents.rules.catalog import Finding
from schemas import InvoiceData

# IBAN length per country, from the SWIFT IBAN registry
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

_SHAPE = re.compile(r"^([A-Z]{2})([0-9]{2})([0-9A-Z]{11,30})$")
_SEPARATORS = re.compile(r"[\s\-.]")
# A..Z -> "10".."35" for the mod-97 computation (ISO 7064)
_LETTERS = str.maketrans({chr(ord("A") + i): str(10 + i) for i in range(26)})


def normalise_iban(value: str) -> str:
    """Upper case without spaces, dashes or dots, as IBANs are compared and stored."""
    return _SEPARATORS.sub("", value).upper()


def is_valid_iban(value: str) -> bool:
    """Whether `value` is an IBAN of a registry country, of its length, with valid check digits.

    Args:
        value: The IBAN, in print form (groups of four) or electronic form.
    """
    iban = normalise_iban(value)
    match = _SHAPE.match(iban)
    if match is None or IBAN_LENGTHS.get(match.group(1)) != len(iban):
        return False
    rearranged = (iban[4:] + iban[:4]).translate(_LETTERS)
    return int(rearranged) % 97 == 1


def check(invoice: InvoiceData) -> list[Finding]:
    """Check the seller's IBAN (BT-84) when the invoice has one.

    Returns:
        `iban_invalid` when it fails; nothing when it is valid or absent.
    """
    if invoice.seller_iban is None or not invoice.seller_iban.strip():
        return []
    if is_valid_iban(invoice.seller_iban):
        return []
    return [Finding("iban_invalid", "seller_iban")]
