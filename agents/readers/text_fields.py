"""Single-valued header fields of a text invoice: number, dates, currency, VAT ids, IBAN, BIC, order ref.

Each field is read from its label first (confidence about 0.9 when the value next to the label is well
formed), then from weaker evidence: the document title ("Rechnung Nr. 471102 vom 05.03.2018"), the
currency written beside the amounts, the first date of the first page. Weaker evidence gives a lower
confidence so the score stage can tell a read value from a guessed one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from agents.readers.labels import TITLE_WORDS, Field, find_labels, normalise
from agents.readers.locale_formats import ISO_CURRENCIES, currency_code, find_amounts, find_dates
from agents.readers.text_layout import Document, Hit, Row, hits_for
from agents.rules.iban import is_valid_iban, normalise_iban

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Pick(Generic[T]):
    """A value chosen for a field, how sure the reader is, and the row it came from."""

    value: T
    confidence: float
    row: Row | None = None


_ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./_\-]*[A-Za-z0-9]|[0-9]")
_NUMBER_WORDS = re.compile(r"^(?:nr|no|n|nº|n°|num|nummer|number|numero|número|nummer|#|:|\.|°|º|de|di|van|du)"
                           r"[.:#°º]*$", re.I)
_TITLE = re.compile(
    r"(?<![a-z])(?P<title>[a-z]*(?:" + "|".join(re.escape(normalise(t)) for t in TITLE_WORDS) + r")[a-z]*)"
    r"(?P<between>(?:\s+[a-z]+){0,3}?)"
    r"(?:\s*\([^)]{0,40}\))*\s*(?<![a-z])(?:nr|no|n°|no°|num|nummer|number|numero|#)(?![a-z])[.:]?\s*"
    r"(?P<value>\S+)"
)
_DATE_LINK = re.compile(r"(?:vom|du|del|of|dated|van|de|from|le)\s*$", re.I)
_DATE_LINK_START = re.compile(r"^\s*(?:vom|du|del|of|dated|van|de|from|le)\s+\d", re.I)
_DATE_LINK_AFTER = re.compile(r"(?<![A-Za-z])(?:vom|du|del|of|dated|van|de|from|le)\s+\d", re.I)
_VAT = re.compile(r"^(?:ATU\d{8}|BE[01]\d{9}|BG\d{9,10}|CY\d{8}[A-Z]|CZ\d{8,10}|DE\d{9}|DK\d{8}|EE\d{9}|EL\d{9}"
                  r"|ES[A-Z0-9]\d{7}[A-Z0-9]|FI\d{8}|FR[A-HJ-NP-Z0-9]{2}\d{9}|HR\d{11}|HU\d{8}|IE\d{7}[A-W][A-I]?"
                  r"|IE\d[A-Z+*]\d{5}[A-W]|IT\d{11}|LT(?:\d{9}|\d{12})|LU\d{8}|LV\d{11}|MT\d{8}|NL\d{9}B\d{2}|PL\d{10}"
                  r"|PT\d{9}|RO\d{2,10}|SE\d{10}01|SI\d{8}|SK\d{10}|XI\d{9}|GB(?:\d{9}|\d{12})"
                  r"|CHE\d{9}(?:MWST|TVA|IVA)?|NO\d{9}(?:MVA)?)$")
_VAT_NOISE = re.compile(r"[\s.\-]")  # printed inside VAT ids ("DE 123.456.789"), dropped before matching
_VAT_STARTS = frozenset(shape[:2] for shape in _VAT.pattern[4:-2].split("|"))  # "AT", "BE"... (and "TV", "\d")
_BIC = re.compile(r"^[A-Z]{4}(?:AT|BE|BG|CH|CY|CZ|DE|DK|EE|ES|FI|FR|GB|GR|HR|HU|IE|IS|IT|LI|LT|LU|LV|MC|MT|NL"
                  r"|NO|PL|PT|RO|SE|SI|SK|SM|US|CA|AU|JP|CN)[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_BARE_CODE = re.compile(r"\b[A-Z]{3}\b")
_IBAN_START = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){10,32}")


def _score(hit: Hit, strong: float = 0.92) -> float:
    """Label evidence: full beside the label or in its column just below, less further down, less again
    for a label inside a sentence or a paragraph (where "Fälligkeit 06.12." may be a mention, not a field)."""
    score = strong - _BELOW_PENALTY[min(hit.below, len(_BELOW_PENALTY) - 1)]
    if _keyed(hit):
        return score  # "Invoice no: 123   Date: 3 May 2026": a row of keys and values, not a sentence
    if not hit.row.starts_segment(hit.label.start):
        score -= 0.15
    if _is_prose(hit.row):
        score -= 0.2
    return score


def _keyed(hit: Hit) -> bool:
    """A label written as a key: a colon follows it, and its row holds at least two such keys."""
    text = hit.row.text
    return text[hit.label.end :].lstrip(" .").startswith(":") and len(_KEYS.findall(text)) >= 2


_KEYS = re.compile(r"[^\W\d_]\.?\s?:(?=\s)")


_BELOW_PENALTY = (0.0, 0.02, 0.15, 0.25)


def _is_prose(row: Row) -> bool:
    """A row of running text: one column segment of many words."""
    return len(row.segment_starts) == 1 and len(row.words) >= 8


def id_token(text: str) -> str | None:
    """The first identifier-like token of a value text, skipping "No.", "Nr.", "#" and similar."""
    for token in text.split():
        if _NUMBER_WORDS.match(token):
            continue
        m = _ID_TOKEN.match(token)
        if m is None:
            return None
        value = m.group(0)
        if not any(c.isdigit() for c in value) and not (len(value) >= 4 and value.isupper()):
            return None
        if find_dates(value) or find_labels(value):
            return None
        return value
    return None


def invoice_number(doc: Document) -> Pick[str] | None:
    """The invoice number: from its label, else from the title ("Invoice No. 123")."""
    picks: list[Pick[str]] = []
    for hit in hits_for(doc, Field.INVOICE_NUMBER):
        value = id_token(hit.value)
        if value is not None:
            shaped = any(c.isdigit() for c in value)  # a number, not a word that happens to follow the label
            picks.append(Pick(value, _score(hit) if shaped else min(_score(hit), 0.8), hit.row))
    for row in doc.rows:
        m = _TITLE.search(normalise(row.text))
        if m is not None and not find_labels(m.group("between")):
            value = id_token(row.text[m.start("value") :])
            if value is not None:
                picks.append(Pick(value, 0.9 if _heads_document(row, m.start()) else 0.8, row))
    return _best(picks)


def _heads_document(row: Row, start: int) -> bool:
    """A title at the start of one of the first rows of page one: the document naming itself."""
    return row.page == 0 and row.index < _TITLE_ROWS and start == 0 and not _is_prose(row)


_TITLE_ROWS = 15


def _best(picks: list[Pick[T]]) -> Pick[T] | None:
    """The surest pick; other sources that agree raise it, a near-equal pick that disagrees lowers it."""
    if not picks:
        return None
    top = max(picks, key=lambda p: p.confidence)
    agree = len({(p.row.index if p.row else -1) for p in picks if p.value == top.value}) - 1
    rival = max((p.confidence for p in picks if p.value != top.value), default=0.0)
    confidence = min(0.97, top.confidence + 0.03 * agree)
    if rival >= top.confidence - 0.1:
        confidence = min(confidence, top.confidence - 0.2)  # two labelled values: which one is it?
    return Pick(top.value, confidence, top.row)


@dataclass(frozen=True, slots=True)
class DateOrder:
    """How the document writes numeric dates: month first or not, and whether that is settled.

    It is settled when a date of the document proves it (13/05 or 05/13) or the language never puts the
    month first; otherwise "04/05/2026" is April or May and no confidence can be high.
    """

    month_first: bool
    settled: bool


def _first_date(text: str, order: DateOrder) -> tuple[date, bool] | None:
    """The first date of a text, and whether its reading is sure (unambiguous or settled by the document)."""
    found = find_dates(text, month_first=order.month_first)
    if not found:
        return None
    other = find_dates(text, month_first=not order.month_first)
    return found[0].value, order.settled or (bool(other) and other[0].value == found[0].value)


def _dated(value: tuple[date, bool], confidence: float, row: Row) -> Pick[date]:
    day, sure = value
    return Pick(day, confidence if sure else min(confidence, 0.7), row)


def _in_sentence(text: str) -> float:
    """A penalty for a date that a sentence goes on after ("Fälligkeit 06.12.2018 den Beitrag von ...")."""
    found = find_dates(text)
    tail = text[found[0].end :] if found else ""
    return 0.2 if len(re.findall(r"(?<!\S)[^\W\d_]{2,}(?!\S)", tail)) >= 3 else 0.0


def issue_date(doc: Document, number_row: Row | None, order: DateOrder) -> Pick[date] | None:
    """The issue date: labelled, else on the title row, else the first plain date on page one."""
    picks: list[Pick[date]] = []
    for hit in hits_for(doc, Field.ISSUE_DATE):
        value = _first_date(hit.value, order)
        if value is not None:
            weak = normalise(hit.label.phrase) in {"date", "datum", "data", "fecha"}
            score = _score(hit, 0.85 if weak else 0.92) - _in_sentence(hit.value)
            picks.append(_dated(value, score, hit.value_row))
    if picks:
        return _best(picks)
    if number_row is not None:
        rows = doc.rows[number_row.index : number_row.index + 2]
        for i, row in enumerate(rows):
            text = row.text if i == 0 else row.text[:40]
            linked = bool(_DATE_LINK_START.match(row.text)) if i else bool(_DATE_LINK_AFTER.search(text))
            if i == 1 and not (_DATE_LINK.search(rows[0].text) or linked):
                break
            value = _first_date(text, order)
            if value is not None:
                # "Rechnung Nr. 471102 vom 05.06.2018": the title dates the document
                return _dated(value, 0.9 if linked or i == 1 else 0.8, row)
    labelled = {h.row.index for h in doc.hits if h.field in (Field.OTHER_DATE, Field.DUE_DATE)}
    for row in doc.page_rows(0):
        if row.index in labelled:
            continue
        value = _first_date(row.text, order)
        if value is not None:
            return _dated(value, 0.45, row)
    return None


def due_date(doc: Document, order: DateOrder) -> Pick[date] | None:
    """The payment due date, from its label only."""
    picks = [
        _dated(value, _score(hit, 0.9) - _in_sentence(hit.value), hit.value_row)
        for hit in hits_for(doc, Field.DUE_DATE)
        if (value := _first_date(hit.value, order)) is not None
    ]
    return _best(picks)


def currency(doc: Document, language: str | None) -> Pick[str] | None:
    """The invoice currency: labelled, else written beside amounts, else a bare ISO code, else the locale's."""
    for hit in hits_for(doc, Field.CURRENCY):
        for token in re.findall(r"[A-Za-z]{3}|[^\sA-Za-z0-9]{1,3}", hit.value)[:2]:
            code = currency_code(token)
            if code is not None:
                return Pick(code, _score(hit, 0.95), hit.row)
    beside: Counter[str] = Counter()
    bare: Counter[str] = Counter()
    kronor = 0
    for row in doc.rows:
        # spaces may group thousands after a symbol ("£7 419,86"): the currency belongs to the whole amount
        for amount in find_amounts(row.text, space_groups=True):
            if amount.currency and amount.decimals:  # "KES 90000013" is a reference, not money
                beside[amount.currency] += 1
        for token in _BARE_CODE.findall(row.text):
            if token in ISO_CURRENCIES and token != "ALL":
                bare[token] += 1
        kronor += len(_KRONOR.findall(row.text))
    if kronor and not beside:
        code = _KRONA_BY_COUNTRY.get(_seller_country(doc) or "")
        return Pick(code, 0.9 if code in bare or not bare else 0.6) if code else None
    if beside:
        code = beside.most_common(1)[0][0]
        return Pick(code, _beside_confidence(code, beside, bare))
    if bare:
        return Pick(bare.most_common(1)[0][0], 0.75 if len(bare) == 1 else 0.6)
    if language in {"de", "fr", "it", "es", "nl"}:
        return Pick("EUR", 0.4)
    return None


def _beside_confidence(code: str, beside: Counter[str], bare: Counter[str]) -> float:
    """Sure when every amount that names a currency names this one and the code itself is printed;
    a "€" or "£" alone is nearly as good; a "$" alone may be any dollar."""
    if len(beside) > 1:
        return 0.7
    if code in bare:
        return 0.95
    return 0.93 if code in _SINGLE_SYMBOL else 0.8


_SINGLE_SYMBOL = frozenset({"EUR", "GBP"})  # "€" and "£" name one currency each
# "1 234,50 kr": the krona or krone of the seller's country, which its IBAN or VAT id names
_KRONOR = re.compile(r"\d[.,]\d{2}\s?kr\.?(?![^\W\d_])|(?<![^\W\d_])kr\.?\s?\d", re.IGNORECASE)
_KRONA_BY_COUNTRY = {"SE": "SEK", "NO": "NOK", "DK": "DKK", "IS": "ISK", "FO": "DKK", "GL": "DKK"}


def _seller_country(doc: Document) -> str | None:
    """The country of the seller's bank account, else of the first VAT id printed (whose the seller's usually is)."""
    accounts = ibans(doc)
    if accounts:
        return accounts[0].value[:2]
    for row in doc.rows:
        found = vat_ids(row)
        if found:
            return found[0][:2]
    return None


def vat_ids(row: Row) -> list[str]:
    """VAT identifiers (EU prefixes, GB, CH, NO) on a row, spaces and dots inside them ignored."""
    return vat_ids_in([w.text for w in row.words]) if any(map(str.isdigit, row.text)) else []  # all have digits


def vat_ids_in(tokens: list[str]) -> list[str]:
    """VAT identifiers in a sequence of words (one column of a row, say)."""
    out: list[str] = []
    words = [_VAT_NOISE.sub("", w.strip(",;()")).upper() for w in tokens]
    for i in range(len(words)):
        joined = ""
        for j in range(i, min(i + 5, len(words))):
            joined += words[j]
            if _VAT.match(joined):
                out.append(joined)
                break
            if len(joined) > 16 or (len(joined) >= 2 and joined[:2] not in _VAT_STARTS):
                break  # longer, or not starting like a VAT id: no more words can make one
    return out


def ibans(doc: Document) -> list[Pick[str]]:
    """Valid IBANs (mod-97 checked) in the document, labelled ones first."""
    labelled = {h.row.index for h in hits_for(doc, Field.IBAN)} | {h.value_row.index for h in hits_for(doc, Field.IBAN)}
    picks: list[Pick[str]] = []
    for row in doc.rows:
        for m in _IBAN_START.finditer(row.text.upper()):
            candidate = normalise_iban(m.group(0))
            for end in range(len(candidate), 14, -1):
                if is_valid_iban(candidate[:end]):
                    picks.append(Pick(candidate[:end], 0.95 if row.index in labelled else 0.85, row))
                    break
    return sorted(picks, key=lambda p: -p.confidence)


def bic(doc: Document) -> Pick[str] | None:
    """The BIC next to its label, checked for shape."""
    for hit in hits_for(doc, Field.BIC):
        for token in hit.value.replace(":", " ").split()[:2]:
            token = token.strip(",;.()").upper()
            if _BIC.match(token):
                return Pick(token, _score(hit), hit.row)
    return None


def order_reference(doc: Document) -> Pick[str] | None:
    """The buyer's order reference, from its label."""
    picks = [
        Pick(value, _score(hit, 0.8), hit.row)
        for hit in hits_for(doc, Field.ORDER_REFERENCE)
        if (value := id_token(hit.value)) is not None
    ]
    return _best(picks)
