"""Sellers and buyers: plausible EU companies assembled from word lists, with valid identifiers.

Why pools: in real accounts payable the same suppliers send invoice after invoice, and vendor matching,
per-seller numbering and duplicate detection only get exercised if they recur. Each party is a pure function of
``(role, pool_seed, country, slot)``, cached, so ``make_invoice`` stays stateless and deterministic and building
20,000 invoices does not rebuild the same companies 20,000 times.
"""

from __future__ import annotations

import random
import unicodedata
from functools import lru_cache
from typing import Final

from ._checksums import make_bic, make_gln, make_iban, make_vat_id
from ._model import Address, Party
from ._words import (
    CITIES,
    COUNTRY_SECTOR_LANG,
    FANCY,
    FIRST_NAMES,
    LEGAL_FORMS,
    SECTORS,
    STREET_WORDS_BY_COUNTRY,
    SURNAMES_BY_COUNTRY,
    street_line,
)

SELLERS_PER_COUNTRY: Final = 40
BUYERS_PER_COUNTRY: Final = 120

# Peppol electronic address schemes (EAS) keyed by the VAT id's country; Sweden's VAT scheme 9955 was
# withdrawn in 2023, so Swedish parties are addressed by organisation number (0007, the VAT id's 10 digits).
ENDPOINT_SCHEMES: Final = {"DE": "9930", "AT": "9914", "FR": "9957", "BE": "9925", "IT": "0211", "ES": "9920",
                           "NL": "9944", "PL": "9945", "SE": "0007", "IE": "9935"}
_PHONE_PREFIX: Final = {"DE": "+49", "AT": "+43", "FR": "+33", "BE": "+32", "IT": "+39", "ES": "+34",
                        "NL": "+31", "PL": "+48", "SE": "+46", "IE": "+353"}
# invoice numbering habits per country (see _invoice.invoice_number)
NUMBER_KINDS: Final = {"DE": (1, 3, 4, 0), "AT": (1, 3, 0), "FR": (2, 6, 0), "BE": (2, 6, 4), "IT": (5, 6),
                       "ES": (2, 5, 0), "NL": (0, 4, 3), "PL": (7, 7, 0), "SE": (4, 0), "IE": (0, 3, 6)}
_EIRCODE_CHARS: Final = "ACDEFHKNPRTVWXY0123456789"
_SUFFIXES: Final = ("tec", "line", "soft", "data", "log", "pro", "mat", "form")


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _postcode(rng: random.Random, country: str, prefix: str) -> str:
    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    if country in ("DE", "FR", "IT", "ES"):
        return prefix + digits(5 - len(prefix))
    if country in ("AT", "BE"):
        return prefix + digits(2) + "0"
    if country == "NL":
        return prefix + digits(2) + " " + rng.choice("BCEHJKLMNPRTVWXZ") + rng.choice("ABCEHJKLMNPRTVWXZ")
    if country == "PL":
        return prefix + digits(1) + "-" + digits(3)
    if country == "SE":
        body = (prefix + digits(5))[:5]
        return body[:3] + " " + body[3:]
    routing = prefix + rng.choice("12345678") if len(prefix) == 2 else prefix
    return routing + " " + rng.choice("ACDEFHKNPRTVWXY") + "".join(rng.choice(_EIRCODE_CHARS) for _ in range(3))


def _company_name(rng: random.Random, country: str) -> tuple[str, str]:
    surnames = SURNAMES_BY_COUNTRY[country]
    sector = rng.choice(SECTORS[COUNTRY_SECTOR_LANG[country]])
    form = rng.choice(LEGAL_FORMS[country])
    style = rng.randrange(4)
    if style == 0:
        core = f"{rng.choice(surnames)} {sector}"
    elif style == 1:
        first, second = rng.sample(surnames, 2)
        core = f"{first} & {second}"
    elif style == 2:
        core = f"{rng.choice(FANCY)} {sector}"
    else:
        core = f"{rng.choice(FANCY)}{rng.choice(_SUFFIXES)}"
    return f"{core} {form}", core


def _initials(core: str) -> str:
    words = [w for w in ascii_fold(core).replace("&", " ").split() if w[:1].isalpha()]
    code = "".join(w[0] for w in words).upper()
    if len(code) < 2:
        code = "".join(ch for ch in ascii_fold(core).upper() if ch.isalpha())[:3]
    return code[:4]


def make_party(rng: random.Random, country: str, *, seller: bool) -> Party:
    """One company of ``country``; sellers get a bank account and a numbering habit, buyers may lack a VAT id."""
    name, core = _company_name(rng, country)
    trading = core if rng.random() < 0.25 else name
    city, prefix = rng.choice(CITIES[country])
    street = street_line(country, rng.choice(STREET_WORDS_BY_COUNTRY[country]), rng.randint(1, 180),
                         rng.randrange(8))
    address = Address(street, city, _postcode(rng, country, prefix), country)
    has_vat = seller or rng.random() < 0.85
    vat_id = make_vat_id(rng, country) if has_vat else None
    if vat_id:
        scheme, endpoint = ENDPOINT_SCHEMES[country], vat_id[2:12] if country == "SE" else vat_id
    else:
        scheme, endpoint = "0088", make_gln(rng)
    contact = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES_BY_COUNTRY[country])}"
    domain = "".join(ch for ch in ascii_fold(core).lower() if ch.isalnum())[:18] or "example"
    local = ascii_fold(contact.split()[0]).lower() if rng.random() < 0.5 else rng.choice(
        ("info", "billing", "accounts", "office"))
    email = f"{local}@{domain}.{country.lower()}"
    phone = f"{_PHONE_PREFIX[country]} {rng.randint(10, 999)} {rng.randint(100000, 9999999)}"
    if not seller:
        return Party(name, trading, address, vat_id, scheme, endpoint, contact, email, phone)
    bank_code = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWZ") for _ in range(4))
    return Party(name, trading, address, vat_id, scheme, endpoint, contact, email, phone,
                 iban=make_iban(rng, country, bank_code), bic=make_bic(rng, country, bank_code),
                 number_kind=rng.choice(NUMBER_KINDS[country]), code=_initials(core))


@lru_cache(maxsize=256)
def seller_pool(pool_seed: int, country: str) -> tuple[Party, ...]:
    return tuple(make_party(random.Random(f"seller:{pool_seed}:{country}:{k}"), country, seller=True)
                 for k in range(SELLERS_PER_COUNTRY))


@lru_cache(maxsize=256)
def buyer_pool(pool_seed: int, country: str) -> tuple[Party, ...]:
    return tuple(make_party(random.Random(f"buyer:{pool_seed}:{country}:{k}"), country, seller=False)
                 for k in range(BUYERS_PER_COUNTRY))
