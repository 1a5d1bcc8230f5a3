"""Code lists: ISO 4217 currencies and ISO 3166-1 alpha-2 countries, written out as data.

A currency or country that is not in its list is a misread or a malformed document, and a payment in an
unknown currency cannot be made. The lists are frozen sets built once at import, so a lookup costs one
hash. Recently withdrawn currencies stay in the list because invoices issued before the change are still
paid and archived in them (HRK until 2023, for example); the test and no-currency codes XTS and XXX do not.
"""

from __future__ import annotations

from agents.rules.catalog import Finding
from schemas import InvoiceData


def _codes(text: str) -> frozenset[str]:
    """A code list written as whitespace-separated codes (easier to read and diff than a literal)."""
    return frozenset(text.split())


CURRENCIES = _codes(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN
    BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF
    KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR
    MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU
    UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR
    ZMW ZWG
    HRK SLL ZWL CUC VEF MRO STD BYR LTL LVL EEK
    """
)
"""ISO 4217 alphabetic codes in use, plus ones withdrawn recently enough to appear on archived invoices."""

COUNTRIES = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH
    ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT
    HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS
    LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI
    NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG
    SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
    UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """
)
"""The 249 officially assigned ISO 3166-1 alpha-2 codes."""

EXTRA_COUNTRIES = frozenset({"XI", "XK", "1A"})
"""Codes EN 16931 and trade practice accept beyond ISO: Northern Ireland (XI) and Kosovo (XK, 1A)."""

_ACCEPTED_COUNTRIES = COUNTRIES | EXTRA_COUNTRIES


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 alphabetic currency code (exact, upper case)."""
    return code in CURRENCIES


def is_country(code: str) -> bool:
    """Whether `code` is an ISO 3166-1 alpha-2 country code (or XI / XK / 1A)."""
    return code in _ACCEPTED_COUNTRIES


def check(invoice: InvoiceData) -> list[Finding]:
    """Check the invoice currency and the seller's and buyer's address countries.

    Returns:
        `currency_unknown` and/or one `country_unknown` per party whose country is not a known code.
    """
    found: list[Finding] = []
    if invoice.currency is not None and invoice.currency.strip().upper() not in CURRENCIES:
        found.append(Finding("currency_unknown", "currency"))
    for name, party in (("seller", invoice.seller), ("buyer", invoice.buyer)):
        address = party.address
        country = address.country if address is not None else None
        if country is not None and country.strip().upper() not in _ACCEPTED_COUNTRIES:
            found.append(Finding("country_unknown", f"{name}.address.country"))
    return found
