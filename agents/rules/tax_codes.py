"""The Italian codice fiscale: the check character of a person's code, the check digit of a company's.

FatturaPA names an Italian party by its codice fiscale, always for a person (who often has no VAT id at
all) and often for a company, and the SdI refuses a code that cannot exist. A person's code is sixteen
characters (surname, name, birth date and place, then a check letter); where two people would share one, the
Agenzia replaces digits by letters (omocodia), which the pattern allows. A company's is eleven digits with
the partita IVA's Luhn-style check digit; it is checked only for a party that is Italian by its VAT id or
address, since eleven digits mean something else elsewhere.
"""

from __future__ import annotations

import re

from agents.rules.catalog import Finding
from schemas import InvoiceData, Party

_PERSON = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
_COMPANY = re.compile(r"^\d{11}$")
# the value of each character in an odd (1st, 3rd...) position; digits count as the letter of their rank
_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)


def _rank(char: str) -> int:
    return ord(char) - (48 if char.isdigit() else 65)


def is_valid_person_code(code: str) -> bool:
    """Whether a sixteen-character codice fiscale has the right shape and check letter."""
    if not _PERSON.match(code):
        return False
    total = sum(_ODD[_rank(c)] if i % 2 == 0 else _rank(c) for i, c in enumerate(code[:15]))
    return code[15] == chr(65 + total % 26)


def is_valid_company_code(code: str) -> bool:
    """Whether an eleven-digit codice fiscale (a company's, or a partita IVA) has the right check digit."""
    if not _COMPANY.match(code):
        return False
    total = 0
    for i, char in enumerate(code[:10]):
        digit = int(char)
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10 == int(code[10])


def _italian(party: Party) -> bool:
    country = party.address.country if party.address is not None else None
    return (party.vat_id or "").upper().startswith("IT") or (country or "").upper() == "IT"


def check(invoice: InvoiceData) -> list[Finding]:
    """One `tax_code_invalid` per party whose legal id is a codice fiscale that cannot exist.

    An id shaped like a person's code is checked wherever the party is from (the shape is Italy's alone);
    an eleven-digit one only for an Italian party; anything else is some other kind of id, not judged here.
    """
    found: list[Finding] = []
    for name, party in (("seller", invoice.seller), ("buyer", invoice.buyer)):
        code = (party.legal_id or "").strip().upper()
        if _PERSON.match(code):
            ok = is_valid_person_code(code)
        elif len(code) == 11 and code.isdigit() and _italian(party):
            ok = is_valid_company_code(code)
        else:
            continue
        if not ok:
            found.append(Finding("tax_code_invalid", f"{name}.legal_id"))
    return found
