"""Check-digit arithmetic for the identifiers a synthetic invoice carries.

Why: an extractor or validator downstream may check VAT ids, IBANs and GLNs; samples with random digits would
teach it to accept garbage. Every generator here builds the payload at random and computes the check digits
with the published national rule; the matching ``valid_*`` functions recompute them from the finished string so
tests (and callers) can verify what was written.
"""

from __future__ import annotations

import random
import string

_DIGITS = string.digits
_UPPER = string.ascii_uppercase


def _rand_digits(rng: random.Random, n: int, *, first_nonzero: bool = False) -> str:
    out = "".join(rng.choice(_DIGITS) for _ in range(n))
    if first_nonzero and out[0] == "0":
        out = rng.choice("123456789") + out[1:]
    return out


def luhn_check_digit(payload: str) -> str:
    """Digit that makes ``payload + digit`` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def _de_check(payload: str) -> str:
    # ISO 7064 MOD 11,10 as used by the Bundeszentralamt für Steuern.
    product = 10
    for ch in payload:
        s = (int(ch) + product) % 10 or 10
        product = (2 * s) % 11
    return str((11 - product) % 10)


def _at_check(payload: str) -> str:
    total = 0
    for i, ch in enumerate(payload):
        d = int(ch) * (2 if i % 2 else 1)
        total += d // 10 + d % 10
    return str((10 - (total + 4) % 10) % 10)


def _fr_key(siren: str) -> str:
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def _es_cif_control(digits7: str) -> str:
    even = sum(int(digits7[i]) for i in (1, 3, 5))
    odd = 0
    for i in (0, 2, 4, 6):
        d = 2 * int(digits7[i])
        odd += d // 10 + d % 10
    return str((10 - (even + odd) % 10) % 10)


def _nl_check(payload: str) -> int:
    return sum(int(ch) * (9 - i) for i, ch in enumerate(payload)) % 11


_PL_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def _pl_check(payload: str) -> int:
    return sum(int(ch) * w for ch, w in zip(payload, _PL_WEIGHTS, strict=True)) % 11


def _ie_letter(payload: str) -> str:
    return "WABCDEFGHIJKLMNOPQRSTUV"[sum(int(ch) * (8 - i) for i, ch in enumerate(payload)) % 23]


def make_vat_id(rng: random.Random, country: str) -> str:
    """A syntactically correct VAT id with valid check digits for ``country``."""
    if country == "DE":
        p = _rand_digits(rng, 8, first_nonzero=True)
        return f"DE{p}{_de_check(p)}"
    if country == "AT":
        p = _rand_digits(rng, 7)
        return f"ATU{p}{_at_check(p)}"
    if country == "BE":
        base = rng.choice("01") + _rand_digits(rng, 7)
        if int(base) == 0:
            base = "01234567"
        return f"BE{base}{97 - int(base) % 97:02d}"
    if country == "FR":
        p = _rand_digits(rng, 8, first_nonzero=True)
        siren = p + luhn_check_digit(p)
        return f"FR{_fr_key(siren)}{siren}"
    if country == "IT":
        p = _rand_digits(rng, 7) + f"{rng.randint(1, 100):03d}"
        return f"IT{p}{luhn_check_digit(p)}"
    if country == "ES":
        p = f"{rng.choice((8, 28, 41, 46, 48, 29, 50, 15, 30)):02d}" + _rand_digits(rng, 5)
        return f"ES{rng.choice('AB')}{p}{_es_cif_control(p)}"
    if country == "NL":
        while True:
            p = _rand_digits(rng, 8, first_nonzero=True)
            if _nl_check(p) < 10:
                return f"NL{p}{_nl_check(p)}B{rng.randint(1, 3):02d}"
    if country == "PL":
        while True:
            p = _rand_digits(rng, 9, first_nonzero=True)
            if _pl_check(p) < 10:
                return f"PL{p}{_pl_check(p)}"
    if country == "SE":
        p = "55" + str(rng.randint(6, 9)) + _rand_digits(rng, 6)
        return f"SE{p}{luhn_check_digit(p)}01"
    if country == "IE":
        p = _rand_digits(rng, 7, first_nonzero=True)
        return f"IE{p}{_ie_letter(p)}"
    raise ValueError(f"no VAT id rule for country {country!r}")


def valid_vat_id(vat: str) -> bool:
    """Recompute the check digits of a VAT id produced by :func:`make_vat_id` (or a real one)."""
    cc, body = vat[:2], vat[2:]
    if cc == "DE":
        return len(body) == 9 and body.isdigit() and _de_check(body[:8]) == body[8]
    if cc == "AT":
        return len(body) == 9 and body[0] == "U" and body[1:].isdigit() and _at_check(body[1:8]) == body[8]
    if cc == "BE":
        return len(body) == 10 and body.isdigit() and 97 - int(body[:8]) % 97 == int(body[8:])
    if cc == "FR":
        return (len(body) == 11 and body.isdigit() and luhn_valid(body[2:])
                and _fr_key(body[2:]) == body[:2])
    if cc == "IT":
        return len(body) == 11 and body.isdigit() and luhn_valid(body)
    if cc == "ES":
        return (len(body) == 9 and body[0] in "ABCDEFGHJUV" and body[1:].isdigit()
                and _es_cif_control(body[1:8]) == body[8])
    if cc == "NL":
        return (len(body) == 12 and body[:9].isdigit() and body[9] == "B" and body[10:].isdigit()
                and _nl_check(body[:8]) == int(body[8]))
    if cc == "PL":
        return len(body) == 10 and body.isdigit() and _pl_check(body[:9]) == int(body[9])
    if cc == "SE":
        return len(body) == 12 and body.isdigit() and body.endswith("01") and luhn_valid(body[:10])
    if cc == "IE":
        return len(body) == 8 and body[:7].isdigit() and _ie_letter(body[:7]) == body[7]
    return False


# ---------------------------------------------------------------- IBAN / BIC / GLN / RF


def _iban_value(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text))


def iban_check_digits(country: str, bban: str) -> str:
    return f"{98 - _iban_value(bban + country + '00') % 97:02d}"


def valid_iban(iban: str) -> bool:
    s = iban.replace(" ", "")
    if len(s) < 15 or not s[:2].isalpha() or not s[2:4].isdigit() or not s.isalnum():
        return False
    return _iban_value(s[4:] + s[:4]) % 97 == 1


_IT_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)


def it_cin(payload: str) -> str:
    """Italian CIN control letter over ABI + CAB + account (22 characters)."""
    total = 0
    for i, ch in enumerate(payload):
        v = int(ch) if ch.isdigit() else ord(ch) - 65
        total += _IT_ODD[v] if i % 2 == 0 else v
    return _UPPER[total % 26]


_ES_WEIGHTS = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)


def _es_dc(ten: str) -> str:
    r = 11 - sum(int(c) * w for c, w in zip(ten, _ES_WEIGHTS, strict=True)) % 11
    return str({11: 0, 10: 1}.get(r, r))


def make_bban(rng: random.Random, country: str, bank_code: str) -> str:
    """National account number; ``bank_code`` is four letters shared with the BIC where a country uses them."""
    d = _rand_digits
    if country == "DE":
        return d(rng, 8, first_nonzero=True) + d(rng, 10)
    if country == "AT":
        return d(rng, 5, first_nonzero=True) + d(rng, 11)
    if country == "BE":
        ten = d(rng, 10)
        return f"{ten}{int(ten) % 97 or 97:02d}"
    if country == "FR":
        bank, branch, acct = d(rng, 5, first_nonzero=True), d(rng, 5), d(rng, 11)
        key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(acct)) % 97
        return f"{bank}{branch}{acct}{key:02d}"
    if country == "IT":
        rest = d(rng, 5) + d(rng, 5) + d(rng, 12)
        return it_cin(rest) + rest
    if country == "ES":
        bank_branch, acct = d(rng, 8, first_nonzero=True), d(rng, 10)
        return bank_branch + _es_dc("00" + bank_branch) + _es_dc(acct) + acct
    if country in ("NL", "IE"):
        return bank_code + d(rng, 10 if country == "NL" else 14)
    if country == "PL":
        return d(rng, 8, first_nonzero=True) + d(rng, 16)
    if country == "SE":
        return d(rng, 3, first_nonzero=True) + d(rng, 17)
    raise ValueError(f"no IBAN rule for country {country!r}")


def make_iban(rng: random.Random, country: str, bank_code: str) -> str:
    bban = make_bban(rng, country, bank_code)
    return f"{country}{iban_check_digits(country, bban)}{bban}"


def make_bic(rng: random.Random, country: str, bank_code: str) -> str:
    loc = rng.choice(_UPPER) + rng.choice(_UPPER + _DIGITS[2:])
    return f"{bank_code}{country}{loc}" + ("XXX" if rng.random() < 0.3 else "")


def valid_bic(bic: str) -> bool:
    return (len(bic) in (8, 11) and bic[:6].isalpha() and bic[:6].isupper()
            and bic[6:].isalnum() and bic[6:] == bic[6:].upper())


def gln_check_digit(payload: str) -> str:
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(payload)))
    return str((10 - total % 10) % 10)


def make_gln(rng: random.Random) -> str:
    p = "40" + _rand_digits(rng, 10)
    return p + gln_check_digit(p)


def rf_reference(ref: str) -> str:
    """ISO 11649 structured creditor reference ``RFkk<ref>``."""
    return f"RF{98 - _iban_value(ref + 'RF00') % 97:02d}{ref}"


def valid_rf(text: str) -> bool:
    return text.startswith("RF") and _iban_value(text[4:] + text[:4]) % 97 == 1
