"""VAT identifiers: syntax per country and the check digits where the country defines them.

The VAT id is how a seller is recognised across invoices and formats and what a tax auditor checks first,
so an id that cannot exist (wrong length, failing check digits, a prefix that is no country) means a misread
field or a forged document. Each EU member state's format is written out below (Greece uses the prefix EL,
not GR), together with Northern Ireland (XI), the United Kingdom, Switzerland and Norway; ids of other
countries only need a known country prefix and a plausible body. Check-digit algorithms are those each tax
administration publishes; France's newer alphanumeric keys and the UK's government-department ids have no
public checksum and are checked for syntax only.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agents.rules.catalog import Finding
from agents.rules.codes import is_country
from schemas import InvoiceData

_SEPARATORS = re.compile(r"[\s\-.]")
_GENERIC = re.compile(r"^[0-9A-Z+*]{2,13}$")
_DNI = "TRWAGMYFPDXBNJZSQVHLCKE"


def _digits(body: str) -> list[int]:
    return [ord(c) - 48 for c in body]


def _weighted(body: str, weights: tuple[int, ...]) -> int:
    return sum(w * d for w, d in zip(weights, _digits(body), strict=False))


def _luhn(body: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(_digits(body))):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mod11_10(body: str) -> bool:
    """ISO 7064 MOD 11,10 (Germany, Croatia): the last digit checks all the others."""
    product = 10
    for d in _digits(body[:-1]):
        total = (d + product) % 10 or 10
        product = (2 * total) % 11
    return (11 - product) % 10 == int(body[-1])


def _mod11(body: str, weights: tuple[int, ...], *, ten: int | None, eleven: int | None) -> bool:
    """Weighted sum mod 11: check = 11 - remainder; `ten`/`eleven` say what 10 and 11 become (None: invalid)."""
    check: int | None = 11 - _weighted(body, weights) % 11
    if check == 10:
        check = ten
    elif check == 11:
        check = eleven
    return check is not None and check == int(body[len(weights)])


def _at(body: str) -> bool:
    total = 0
    for i, d in enumerate(_digits(body[1:8])):
        if i % 2:
            d *= 2
            d = d // 10 + d % 10
        total += d
    return (10 - (total + 4) % 10) % 10 == int(body[8])


def _be(body: str) -> bool:
    body = body if len(body) == 10 else "0" + body
    return (int(body[:8]) + int(body[8:])) % 97 == 0


def _dk(body: str) -> bool:
    return _weighted(body, (2, 7, 6, 5, 4, 3, 2, 1)) % 11 == 0


def _el(body: str) -> bool:
    return _weighted(body, (256, 128, 64, 32, 16, 8, 4, 2)) % 11 % 10 == int(body[8])


def _es(body: str) -> bool:
    head, mid, last = body[0], body[1:8], body[8]
    if head.isdigit():  # DNI of a resident: eight digits and a letter
        return body[:8].isdigit() and last == _DNI[int(body[:8]) % 23]
    if head in "XYZ":  # NIE of a foreigner: the letter stands for a leading digit
        return mid.isdigit() and last == _DNI[int(str("XYZ".index(head)) + mid) % 23]
    if not mid.isdigit():
        return False
    if head in "KLM":  # special NIFs of individuals
        return last == _DNI[int(mid) % 23]
    if head not in "ABCDEFGHJNPQRSUVW":  # CIF of a legal entity
        return False
    total = 0
    for i, d in enumerate(_digits(mid)):
        total += (d * 2 // 10 + d * 2 % 10) if i % 2 == 0 else d
    check = (10 - total % 10) % 10
    return last in (str(check), "JABCDEFGHI"[check])


def _fi(body: str) -> bool:
    remainder = _weighted(body, (7, 9, 10, 5, 8, 4, 2)) % 11
    if remainder == 1:
        return False
    return (11 - remainder) % 11 == int(body[7])


def _fr(body: str) -> bool:
    siren = body[2:]
    if siren != "356000000" and not _luhn(siren):  # every SIREN is Luhn-valid but La Poste's
        return False
    if not body[:2].isdigit():
        return True  # newer alphanumeric keys: no public checksum
    return int(body[:2]) == (12 + 3 * (int(siren) % 97)) % 97


def _gb(body: str) -> bool:
    if body[:2] in ("GD", "HA"):
        return True  # government departments and health authorities: a range, no checksum
    remainder = (_weighted(body, (8, 7, 6, 5, 4, 3, 2)) + int(body[7:9])) % 97
    if int(body[:3]) < 100:
        return remainder == 0
    # mod 97, or the "9755" variant of ids issued since 2010 (remainder 42; 55 is seen too)
    return remainder in (0, 42, 55)


def _it(body: str) -> bool:
    office = int(body[7:10])  # the issuing provincial office
    return int(body[:7]) != 0 and (1 <= office <= 100 or office in (120, 121, 888, 999)) and _luhn(body)


def _lu(body: str) -> bool:
    return int(body[:6]) % 89 == int(body[6:])


def _nl(body: str) -> bool:
    old = _weighted(body, (9, 8, 7, 6, 5, 4, 3, 2)) % 11
    if old == int(body[8]) and old != 10:
        return True
    # since 2020 sole traders get ids checked by ISO 7064 mod 97 over "NL" + the id (N=23, L=21, B=11)
    return int("2321" + body[:9] + "11" + body[10:]) % 97 == 1


def _pl(body: str) -> bool:
    check = _weighted(body, (6, 5, 7, 2, 3, 4, 5, 6, 7)) % 11
    return check != 10 and check == int(body[9])


def _pt(body: str) -> bool:
    check = 11 - _weighted(body, (9, 8, 7, 6, 5, 4, 3, 2)) % 11
    return (0 if check >= 10 else check) == int(body[8])


def _se(body: str) -> bool:
    return _luhn(body[:10])


def _si(body: str) -> bool:
    return _mod11(body, (8, 7, 6, 5, 4, 3, 2), ten=0, eleven=None)


def _ch(body: str) -> bool:
    return _mod11(body[1:10], (5, 4, 3, 2, 7, 6, 5, 4), ten=None, eleven=0)


def _no(body: str) -> bool:
    return _mod11(body, (3, 2, 7, 6, 5, 4, 3, 2), ten=None, eleven=0)


_Check = Callable[[str], bool] | None

# prefix -> (syntax of what follows the prefix, check-digit function or None)
_FORMATS: dict[str, tuple[re.Pattern[str], _Check]] = {
    prefix: (re.compile(f"^(?:{pattern})$"), check)
    for prefix, pattern, check in (
        ("AT", r"U\d{8}", _at),
        ("BE", r"[01]\d{9}|\d{9}", _be),
        ("BG", r"\d{9,10}", None),
        ("CY", r"\d{8}[A-Z]", None),
        ("CZ", r"\d{8,10}", None),
        ("DE", r"[1-9]\d{8}", _mod11_10),
        ("DK", r"[1-9]\d{7}", _dk),
        ("EE", r"\d{9}", None),
        ("EL", r"\d{9}", _el),
        ("ES", r"[0-9A-Z]\d{7}[0-9A-Z]", _es),
        ("FI", r"\d{8}", _fi),
        ("FR", r"[0-9A-HJ-NP-Z]{2}\d{9}", _fr),
        ("HR", r"\d{11}", _mod11_10),
        ("HU", r"\d{8}", None),
        ("IE", r"\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W]", None),
        ("IT", r"\d{11}", _it),
        ("LT", r"\d{9}|\d{12}", None),
        ("LU", r"\d{8}", _lu),
        ("LV", r"\d{11}", None),
        ("MT", r"[1-9]\d{7}", None),
        ("NL", r"\d{9}B(?!00)\d{2}", _nl),
        ("PL", r"\d{10}", _pl),
        ("PT", r"[1-9]\d{8}", _pt),
        ("RO", r"[1-9]\d{1,9}", None),
        ("SE", r"\d{10}01", _se),
        ("SI", r"[1-9]\d{7}", _si),
        ("SK", r"\d{10}", None),
        ("GB", r"\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2}", _gb),
        ("XI", r"\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2}", _gb),
        ("CH", r"E\d{9}(?:MWST|TVA|IVA)?", _ch),
        ("NO", r"\d{9}(?:MVA)?", _no),
    )
}
_NOT_VAT_PREFIXES = frozenset({"GR"})  # Greece's VAT ids use EL; GR is the ISO country code only


def normalise_vat_id(value: str) -> str:
    """Upper case without spaces, dashes or dots, as VAT ids are compared and stored."""
    return _SEPARATORS.sub("", value).upper()


def is_valid_vat_id(value: str) -> bool:
    """Whether `value` is a syntactically valid VAT id with a country prefix and correct check digits.

    Args:
        value: The VAT id as printed (spaces, dots and dashes are ignored), prefix included.
    """
    vat = normalise_vat_id(value)
    prefix, body = vat[:2], vat[2:]
    known = _FORMATS.get(prefix)
    if known is None:
        # another country: only a real country prefix and a plausible body can be asked for
        return prefix not in _NOT_VAT_PREFIXES and is_country(prefix) and bool(_GENERIC.match(body))
    pattern, check = known
    if not pattern.match(body):
        return False
    return check is None or check(body)


def check(invoice: InvoiceData) -> list[Finding]:
    """Check the seller's and buyer's VAT ids, and that the seller is identified at all.

    Returns:
        `vat_id_invalid` per party whose VAT id fails; `seller_unidentified` when the seller has neither
        a VAT id nor a legal registration id.
    """
    found: list[Finding] = []
    seller_vat = (invoice.seller.vat_id or "").strip()
    if seller_vat and not is_valid_vat_id(seller_vat):
        found.append(Finding("vat_id_invalid", "seller.vat_id"))
    buyer_vat = (invoice.buyer.vat_id or "").strip()
    if buyer_vat and not is_valid_vat_id(buyer_vat):
        found.append(Finding("vat_id_invalid", "buyer.vat_id"))
    if not seller_vat and not (invoice.seller.legal_id or "").strip():
        found.append(Finding("seller_unidentified", "seller.vat_id"))
    return found
