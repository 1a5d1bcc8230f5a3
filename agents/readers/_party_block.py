"""The lines of a party block, and what each says: a name, a street, a post code and city, or an id.

Both ways of finding a party share this reading: under a heading (`text_parties`) and from the layout of
the first page (`_party_layout`). A name is the first line that is neither an id line nor a post code and
city; a salutation ("Herrn", "Attn:") or a legal form broken onto the next line ("ACME Industrie" /
"GmbH") is joined to it; the lines after the name up to the post code and city are the street.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.readers.labels import Field, LabelHit, find_labels
from agents.readers.text_layout import Row
from schemas import Address, Party

__all__ = [
    "LEGAL_FORM",
    "POSTCODE_CITY",
    "PartyRead",
    "after_key",
    "block_address",
    "column_text",
    "continues_name",
    "is_bank",
    "is_id_line",
    "name_from",
    "standalone_labels",
]

LEGAL_FORM = re.compile(
    r"(?<![A-Za-z])(?:GmbH|AG|KG|OG|OHG|UG|GbR|KGaA|e\.\s?K\.|e\.\s?V\.|a\.\s?G\.|SE|Ltd\.?|Limited|LLC|LLP"
    r"|Inc\.?|PLC|plc|Corp\.?|DAC|Teoranta|S\.?A\.?R\.?L\.?|SARL|SAS|S\.A\.S\.?|SA|S\.A\.|SNC|EURL|SCI"
    r"|S\.r\.l\.|Srl|SRL|S\.p\.A\.|SpA|S\.n\.c\.|S\.a\.s\.|S\.L\.U?\.?|SL|S\.Coop\.?|B\.V\.|BV|N\.V\.|NV"
    r"|V\.O\.F\.|VOF|CV|Sàrl|Co\.|Sp\.\s?z\s?o\.\s?o\.|Sp\.\s?k\.|S\.A\.|a\.s\.|s\.r\.o\.|Oy|Oyj|AB|HB|KB"
    r"|A/S|ApS|AS|ASA|Lda\.?|Kft\.?|Zrt\.?|Nyrt\.?|d\.o\.o\.|d\.d\.|SIA|UAB|OÜ|AS|EOOD|OOD|AD)(?![A-Za-z])"
)
POSTCODE_CITY = re.compile(
    r"(?:^|\s)(?:(?P<cc>[A-Z]{1,2})[- ]?)?"
    r"(?P<pc>\d{2}-\d{3}|\d{4}-\d{3}|\d{3}\s\d{2}|\d{4}\s?[A-Z]{2}|[A-Z]\d{2}\s?[A-Z0-9]{4}"
    r"|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|\d{4,5})"
    r"\s+(?P<city>[A-ZÄÖÜÉÈÀÅØÆŁŚŻ][\w'’\-. ]+)$"
)
_SALUTATION = re.compile(r"^(?:herrn?|frau|firma|mr\.?|mrs\.?|ms\.?|m\.|mme|monsieur|madame|sig\.?|sig\.ra"
                         r"|sr\.?|sra\.?|dhr\.?|mevr\.?|attn:?|z\.\s?hd\.?)$", re.IGNORECASE)
_KEY = re.compile(r"^(?:name|firma|company|nom|raison sociale|nome|ragione sociale|nombre|razón social"
                  r"|naam|bedrijf)\s*:\s*", re.IGNORECASE)
_BANK = re.compile(r"bank|banque|banca|banco|sparkasse|caixa|cr[eé]dit|raiffeisen", re.IGNORECASE)
_ID_FIELDS = {Field.OTHER_ID, Field.VAT_ID, Field.IBAN, Field.BIC, Field.INVOICE_NUMBER, Field.ISSUE_DATE,
              Field.OTHER_DATE, Field.CURRENCY, Field.ORDER_REFERENCE, Field.DUE_DATE}
# labels that mean something only before an amount: "Discount", "Freight" may be part of a company name
_AMOUNT_ONLY = {Field.ALLOWANCE, Field.CHARGE, Field.LINE_TOTAL}


@dataclass(frozen=True, slots=True)
class PartyRead:
    """One party as read, the rows of its block, and the confidence in its name."""

    party: Party
    name_confidence: float
    rows: frozenset[int]
    labelled: bool = False  # read under a heading ("Seller", "Bill to"), not guessed from the layout
    contested: bool = False  # another company had as good a claim: the confidence is capped where it stands


def standalone_labels(text: str) -> tuple[LabelHit, ...]:
    """The labels of a line that can stand without an amount."""
    return tuple(h for h in find_labels(text) if h.field not in _AMOUNT_ONLY)


def column_text(row: Row, x: float, tol: float) -> str | None:
    """The segment of a row that starts near x; a "Key:" segment brings the segment after it."""
    segments = row.segments()
    for i, (a, b) in enumerate(segments):
        if abs(row.x_at(a) - x) <= tol:
            text = row.text[a:b].strip()
            if text.endswith(":") and i + 1 < len(segments):
                text += " " + row.text[segments[i + 1][0] : segments[i + 1][1]].strip()
            return text
    return None


_KEYED = re.compile(r"^(?P<key>[^\d:]{2,40}?)\s*:\s*(?P<rest>\S.*)$")


def after_key(text: str) -> str:
    """ "Payable to: ACME GmbH" -> "ACME GmbH": a name after a key (none with a legal form of its own)."""
    m = _KEYED.match(text)
    if m is None or LEGAL_FORM.search(m.group("key")):
        return text
    return m.group("rest").strip()


def is_bank(text: str) -> bool:
    """Whether a name is a bank's ("Deutsche Bank AG", "Sparkasse ..."): printed beside the IBAN, not the seller."""
    return bool(_BANK.search(text))


def is_id_line(text: str) -> bool:
    """A line of ids, dates or numbers, not a name or a street: an id label opens it, or digits outnumber letters."""
    labels = standalone_labels(text)
    if labels and labels[0].start <= 1 and labels[0].field in _ID_FIELDS:
        return True
    letters = sum(c.isalpha() for c in text)
    return letters < 3 or sum(c.isdigit() for c in text) > letters


def name_from(lines: list[tuple[Row, str]]) -> tuple[str, int] | None:
    """The party name in a block: the first line that is not an id line, with a salutation joined."""
    for i, (_, raw) in enumerate(lines):
        text = " ".join(_KEY.sub("", raw).split())
        if not text or is_id_line(text) or POSTCODE_CITY.search(text):
            continue
        nxt = " ".join(_KEY.sub("", lines[i + 1][1]).split()) if i + 1 < len(lines) else ""
        if nxt and _SALUTATION.match(text):
            return f"{text} {nxt}", i
        if nxt and continues_name(text, nxt):
            return f"{text} {nxt}", i + 1
        return text, i
    return None


def continues_name(first: str, second: str) -> bool:
    """A name broken over two lines: the legal form sits on the second, which has no digits."""
    return (
        not LEGAL_FORM.search(first)
        and not standalone_labels(first)
        and bool(LEGAL_FORM.search(second))
        and not any(c.isdigit() for c in second)
        and not standalone_labels(second)
    )


def block_address(lines: list[tuple[Row, str]], name_index: int) -> Address | None:
    """The address after the name: up to three street lines, then the post code and city (None without them)."""
    street: list[str] = []
    for _, text in lines[name_index + 1 :]:
        m = POSTCODE_CITY.search(text)
        if m is not None:
            country = m.group("cc") if m.group("cc") and len(m.group("cc")) == 2 else None
            return Address(lines=tuple(street[:3]), city=m.group("city").strip(), postal_code=m.group("pc"),
                           country=country)
        if not is_id_line(text) or any(c.isalpha() for c in text):
            street.append(text)
    return None
