"""Vendor layouts: where a seller prints each key field, learned from reviewed text PDFs and read back.

A reviewer's corrected values say what the document holds; the document's text layer (read by `pdf_text` and
gathered into rows by `text_layout`, exactly as the text reader sees it) says where. For each field the value
is looked for in every column segment of every row (dates and amounts by value, whatever their spelling,
names and ids by their text); where it is found, the words printed before it on its segment (or, when none,
the segment just above it in its column) are its anchor, and the way the value is written (a long-form date,
the currency sign and decimal separator of an amount) is its format. Nobody writes a template: one corrected
document makes a layout, each further one a new version that keeps the evidence of the earlier ones: a rule the
document confirms is counted, one it contradicts loses half its count, and a label the seller prints on some
documents only is kept beside the others (`merge_layouts`, `learn_from_review`).

Applying a layout to another document of the same seller looks for each anchor and reads the value where it
was learned to be; a value found there in the learned format overrides the generic reading with a high
confidence, so the extract stage's self-check can accept it instead of paying. An anchor that is not there,
or a value in another format, leaves the generic reading as it was. A layout applies only to its own seller,
recognised by the VAT id or IBAN the generic reader found, or by its learned name printed on the document.
All pure: storing and loading layouts is `streams.sinks`' business.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from agents.readers.locale_formats import find_amounts, find_dates
from agents.readers.pdf_text import pdf_lines
from agents.readers.text_layout import Document, Row, build_document

__all__ = ["LAYOUT_FIELDS", "FieldRule", "VendorLayout", "compact", "doc_words", "layout_from_json", "layout_to_json",
           "learn_from_review", "learn_layout", "merge_layouts", "name_printed", "norm", "same_value", "true_values",
           "value_at", "vendor_of"]

# The fields a layout learns, by their correction names, and how their values are compared.
LAYOUT_FIELDS: Mapping[str, str] = {
    "invoice_number": "text", "issue_date": "date", "due_date": "date", "currency": "code",
    "seller.name": "name", "seller.vat_id": "id", "seller_iban": "id",
    "total_net": "amount", "total_tax": "amount", "total_incl_vat": "amount", "amount_due": "amount",
}
_ANCHOR_WORDS = 4  # the label is at most this many words before the value
_ROWS_ABOVE = 3  # a label above its value stands at most this many rows higher
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")
_EDGE = " :#.=|-–\t"
_ALTERNATIVES = 3  # rules kept per field: a seller may print a field under another label on some documents


@dataclass(frozen=True, slots=True)
class FieldRule:
    """Where one field sits: after `anchor` on its segment (`below` 0) or `below` rows under it, and how it
    is written (`shape`: the date's pattern or the amount's currency and decimal separator)."""

    field: str
    anchor: str
    below: int
    shape: str
    seen: int = 1  # how many corrected documents confirmed the rule


@dataclass(frozen=True, slots=True)
class VendorLayout:
    """One seller's layout for one tenant: its identity as learned, and a rule per field found."""

    tenant_id: str
    vendor: str
    version: int
    seller_name: str | None
    vat_id: str | None
    iban: str | None
    rules: tuple[FieldRule, ...]
    documents: int = 1


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def compact(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text).upper()


def vendor_of(vat_id: str | None, iban: str | None) -> str:
    """The key a layout is stored under: the seller's VAT id, else its IBAN (compact, upper case)."""
    return compact(vat_id or "") or compact(iban or "")


def true_values(extracted: Mapping[str, Any], corrections: Mapping[str, Any]) -> dict[str, str]:
    """What the document holds: the values read, as the reviewer corrected them (JSON values, as stored)."""
    merged = {**extracted, **corrections}
    return {k: str(v) for k, v in merged.items() if k in LAYOUT_FIELDS and v not in (None, "")}


# ------------------------------------------------------------------------------------------------ finding


@dataclass(frozen=True, slots=True)
class _Found:
    row: Row
    start: int  # the value's span in row.text
    end: int
    shape: str


def _segments(row: Row) -> list[tuple[int, int]]:
    return [(a, max(a, b)) for a, b in row.segments()] or [(0, len(row.text))]


def _amount_shape(text: str, currency: str | None) -> str:
    sep = "," if re.search(r",\d{1,2}$", text.strip()) else "." if re.search(r"\.\d{1,2}$", text.strip()) else ""
    return f"{currency or ''}|{sep}"


def _date_shape(text: str) -> str:
    return _DIGITS.sub("9", _LETTERS.sub("a", text))


def _matches(kind: str, seg: str, want: str) -> list[tuple[int, int, str]]:
    """(start, end, shape) of every place `seg` holds the value `want`."""
    if kind == "date":
        try:
            wanted = date.fromisoformat(want)
        except ValueError:
            return []
        found = {(m.start, m.end, m.value) for first in (False, True) for m in find_dates(seg, month_first=first)}
        return [(a, b, _date_shape(seg[a:b])) for a, b, v in sorted(found) if v == wanted]
    if kind == "amount":
        try:
            amount = Decimal(want)
        except InvalidOperation:
            return []
        return [(m.start, m.end, _amount_shape(seg[m.start:m.end], m.currency))
                for m in find_amounts(seg, space_groups=True) if abs(m.value) == abs(amount)]
    return [(a, b, kind) for a, b in _text_spans(kind, seg, want)]


def _text_spans(kind: str, seg: str, want: str) -> list[tuple[int, int]]:
    if kind == "id":
        pattern = r"\s?".join(re.escape(c) for c in compact(want))
        return [(m.start(), m.end()) for m in re.finditer(pattern, seg, re.IGNORECASE)] if pattern else []
    needle = " ".join(want.split())
    flags = re.IGNORECASE if kind in ("code", "name") else 0
    bound = r"(?<![\w])" + re.escape(needle) + r"(?![\w])"
    return [(m.start(), m.end()) for m in re.finditer(bound, seg, flags)]


def _locate(doc: Document, kind: str, want: str) -> list[tuple[_Found, tuple[int, int]]]:
    found: list[tuple[_Found, tuple[int, int]]] = []
    for row in doc.rows:
        for a, b in _segments(row):
            for s, e, shape in _matches(kind, row.text[a:b], want):
                found.append((_Found(row, a + s, a + e, shape), (a, b)))
    return found


def _anchor_before(text: str) -> str:
    words = text.strip(_EDGE).split()[-_ANCHOR_WORDS:]
    anchor = " ".join(words).strip(_EDGE)
    return norm(anchor) if _is_label(anchor) else ""


def _is_label(text: str) -> bool:
    """A label names a value: letters, no digits (a date or an amount above a value is another value)."""
    return bool(_LETTERS.search(text)) and not any(c.isdigit() for c in text) and len(text.split()) <= _ANCHOR_WORDS


def _segment_before(row: Row, start: int) -> str:
    before = [(a, b) for a, b in _segments(row) if b <= start]
    return _anchor_before(row.text[before[-1][0]:before[-1][1]]) if before else ""


def _column_above(doc: Document, row: Row, x0: float, x1: float) -> tuple[str, int] | None:
    """The text of the segment above a value in its column, and how many rows up it stands."""
    for up in range(1, _ROWS_ABOVE + 1):
        index = row.index - up
        if index < 0 or doc.rows[index].page != row.page:
            return None
        above = doc.rows[index]
        for a, b in _segments(above):
            words = above.words_in(a, b)
            if words and words[0].x0 <= x1 and words[-1].x1 >= x0:
                anchor = norm(above.text[a:b].strip(_EDGE))
                return (anchor, up) if _is_label(anchor) else None
    return None


def _rule_for(doc: Document, name: str, want: str, taken: set[tuple[str, int]]) -> FieldRule | None:
    """The field's rule: where its value stands after a label, preferring a place no other field of the same
    value took (an issue date equal to the due date stands twice, under two labels)."""
    ruled = _candidates(doc, name, want)
    if not ruled:
        return None
    if LAYOUT_FIELDS[name] == "amount":
        ruled.reverse()  # totals come last, after lines that may equal them
    free = [r for r in ruled if (r.anchor, r.below) not in taken]
    chosen = (free or ruled)[0]
    taken.add((chosen.anchor, chosen.below))
    return chosen


def _candidates(doc: Document, name: str, want: str) -> list[FieldRule]:
    kind = LAYOUT_FIELDS[name]
    if kind == "name":  # the seller's name is the layout's own: known when printed, wherever it stands
        return [FieldRule(name, "", 0, "name")] if name_printed(want, doc_words(doc)) else []
    if kind == "amount" and _is_zero(want):
        return []  # a zero is printed everywhere (a 0 % rate, an empty column): it shows no place
    ruled: list[FieldRule] = []
    for found, (a, _) in _locate(doc, kind, want):
        anchor = _anchor_before(found.row.text[a:found.start])
        if not anchor and not found.row.text[a:found.start].strip(_EDGE):
            anchor = _segment_before(found.row, a)  # a label column, then the value column
        if anchor:
            ruled.append(FieldRule(name, anchor, 0, found.shape))
            continue
        words = found.row.words_in(found.start, found.end)
        above = _column_above(doc, found.row, words[0].x0, words[-1].x1) if words else None
        if above is not None:
            ruled.append(FieldRule(name, above[0], above[1], found.shape))
    return list(dict.fromkeys(ruled))


def _is_zero(want: str) -> bool:
    try:
        return Decimal(want) == 0
    except InvalidOperation:
        return False


def learn_layout(doc: Document, truth: Mapping[str, str], tenant_id: str, version: int = 1) -> VendorLayout | None:
    """The layout one corrected document shows (None when the seller has no VAT id or IBAN to key it by).

    Args:
        doc: The document's rows, as the text reader builds them.
        truth: The true value of each field (`true_values`), by correction name.
        tenant_id: Whose layout it is.
        version: The version it will be stored as.
    """
    vendor = vendor_of(truth.get("seller.vat_id"), truth.get("seller_iban"))
    if not vendor:
        return None
    taken: dict[str, set[tuple[str, int]]] = {}
    rules = tuple(rule for name in LAYOUT_FIELDS if name in truth
                  if (rule := _rule_for(doc, name, truth[name], taken.setdefault(truth[name], set()))) is not None)
    return VendorLayout(tenant_id, vendor, version, truth.get("seller.name"), truth.get("seller.vat_id"),
                        truth.get("seller_iban"), rules)


def merge_layouts(old: VendorLayout | None, new: VendorLayout) -> VendorLayout:
    """The next version: the newest identity, and for each field the rules of both, counted.

    A rule the new document shows again keeps its count plus one; a different rule for the same field is kept
    beside the old ones as an alternative (an anchor the old rules' documents did not print), not in their
    place, so evidence accumulates instead of the last review overwriting it. A rule counted 0 (proven wrong)
    goes. Within a field the better-confirmed rule is read first (on a tie the newer one); each field keeps
    at most `_ALTERNATIVES` rules.
    """
    if old is None:
        return new
    fields: dict[str, list[FieldRule]] = {}
    for rule in new.rules:  # the newest first, so that a tie goes to it
        fields.setdefault(rule.field, []).append(rule)
    for rule in old.rules:
        if rule.seen <= 0:
            continue
        same = fields.setdefault(rule.field, [])
        twin = next((i for i, r in enumerate(same) if _where(r) == _where(rule)), None)
        if twin is None:
            same.append(rule)
        else:
            same[twin] = replace(rule, seen=rule.seen + same[twin].seen)
    ordered = tuple(r for n in LAYOUT_FIELDS if n in fields
                    for r in sorted(fields[n], key=lambda r: -r.seen)[:_ALTERNATIVES])
    return replace(new, version=old.version + 1, rules=ordered, documents=old.documents + 1)


def _where(rule: FieldRule) -> tuple[str, int, str]:
    return rule.anchor, rule.below, rule.shape


# ------------------------------------------------------------------------------------------------ applying


def value_at(doc: Document, rule: FieldRule, want_kind: str) -> str | None:
    """The value written where the rule says, in the rule's format (None: anchor absent or value unlike)."""
    values: list[str] = []
    for row in doc.rows:
        for a, b in _segments(row):
            seg = row.text[a:b]
            flat = norm(seg)
            if rule.below and flat.strip(_EDGE) != rule.anchor:
                continue  # a column's heading is the whole segment
            if not re.search(r"(?<!\w)" + re.escape(rule.anchor) + r"(?!\w)", flat):
                continue
            if rule.below == 0:
                rest = seg[_raw_end(seg, rule.anchor):]
                if not rest.strip(_EDGE):  # the value stands in the next column
                    rest = next((row.text[s:e] for s, e in _segments(row) if s >= b), "")
                value = _read(want_kind, rest, rule.shape)
            else:
                value = _read_below(doc, row, a, b, rule, want_kind)
            if value is not None:
                values.append(value)
    if not values:
        return None
    return values[-1] if want_kind == "amount" else values[0]


def _raw_end(seg: str, anchor: str) -> int:
    """Where the anchor ends in the raw segment (the normalised anchor spans as many words)."""
    words = len(anchor.split())
    flat = norm(seg)
    before = len(flat[:flat.find(anchor)].split())
    spans = [m.end() for m in re.finditer(r"\S+", seg)]
    index = before + words - 1
    return spans[index] if 0 <= index < len(spans) else len(seg)


def _read_below(doc: Document, row: Row, a: int, b: int, rule: FieldRule, kind: str) -> str | None:
    index = row.index + rule.below
    if index >= len(doc.rows) or doc.rows[index].page != row.page:
        return None
    words = row.words_in(a, b)
    if not words:
        return None
    x0, x1 = words[0].x0, words[-1].x1
    # the heading's column reaches to where the next heading on its row starts
    limit = min((w.x0 for w in row.words if w.x0 > x1), default=float("inf"))
    target = doc.rows[index]
    slack = row.height
    under = [w for w in target.words if w.x1 >= x0 - slack and w.x0 < limit - slack / 2]
    if not under or under[0].x0 > x1:
        return None
    return _read(kind, " ".join(w.text for w in under), rule.shape)


def _read(kind: str, text: str, shape: str) -> str | None:
    text = text.strip(_EDGE)
    if not text:
        return None
    if kind == "date":
        for m in find_dates(text):
            if _date_shape(text[m.start:m.end]) == shape:
                return m.value.isoformat()
        return None
    if kind == "amount":
        for amount in find_amounts(text, space_groups=True):
            if _amount_shape(text[amount.start:amount.end], amount.currency) == shape:
                return str(abs(amount.value))
        return None
    if kind == "code":
        token = text.split()[0].upper()
        return token if re.fullmatch(r"[A-Z]{3}", token) else None
    if kind in ("text", "id"):
        token = text.split()[0].strip(",;") if kind == "text" else text.strip()
        return token if any(c.isdigit() for c in token) else None
    return text


def same_value(kind: str, a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    if kind == "amount":
        try:
            return abs(Decimal(str(a))) == abs(Decimal(str(b)))
        except InvalidOperation:
            return False
    if kind == "id":
        return compact(str(a)) == compact(str(b))
    if kind == "name":
        return norm(str(a)) == norm(str(b))
    return str(a).strip() == str(b).strip()


def doc_words(doc: Document) -> frozenset[str]:
    return frozenset(w for row in doc.rows for w in norm(row.text).split())


def name_printed(name: str, words: frozenset[str]) -> bool:
    tokens = norm(name).split()
    return bool(tokens) and all(t in words for t in tokens)



# ------------------------------------------------------------------------------------------------ storage form


def layout_to_json(layout: VendorLayout) -> dict[str, Any]:
    """The layout as the store keeps it (the tenant, vendor and version are its columns)."""
    return {"seller_name": layout.seller_name, "vat_id": layout.vat_id, "iban": layout.iban,
            "documents": layout.documents,
            "rules": [{"field": r.field, "anchor": r.anchor, "below": r.below, "shape": r.shape, "seen": r.seen}
                      for r in layout.rules]}


def layout_from_json(tenant_id: str, vendor: str, version: int, body: Mapping[str, Any]) -> VendorLayout:
    """A stored layout back (rules for fields this version does not know are skipped)."""
    rules = tuple(FieldRule(str(r["field"]), str(r["anchor"]), int(r["below"]), str(r["shape"]), int(r.get("seen", 1)))
                  for r in body.get("rules", ()) if r.get("field") in LAYOUT_FIELDS)
    return VendorLayout(tenant_id, vendor, version, body.get("seller_name"), body.get("vat_id"), body.get("iban"),
                        rules, int(body.get("documents", 1)))


# ------------------------------------------------------------------------------------------------ from a review


def learn_from_review(content: bytes, extracted: Mapping[str, Any], corrections: Mapping[str, Any], tenant_id: str,
                      known: Mapping[str, VendorLayout]) -> VendorLayout | None:
    """The seller's next layout version from one reviewed text PDF (None: nothing to key or learn it by).

    Args:
        content: The document's bytes (a text PDF).
        extracted: The values as read (the stored review's `extracted`).
        corrections: The reviewer's corrections (the stored review's `corrections`).
        tenant_id: The tenant.
        known: The tenant's current layouts by vendor (the previous version is built on).

    Raises:
        pypdfium2.PdfiumError: The bytes are not a PDF pdfium can open.
    """
    truth = true_values(extracted, corrections)
    doc = build_document(pdf_lines(content))
    learned = learn_layout(doc, truth, tenant_id)
    if learned is None or not learned.rules:
        return None
    old = known.get(learned.vendor)
    if old is None:
        return merge_layouts(None, learned)
    # what the old rules read on this document says which of them hold: one that reads the corrected value is
    # confirmed, and then a different rule this document suggests for its field is not needed (where values
    # repeat, e.g. net = total at 0% VAT, a single document cannot tell which label is whose); one that reads
    # a wrong value loses half its count (a rule taught once goes); one whose anchor is absent stays as it was.
    verdicts = {rule: _verdict(doc, rule, truth) for rule in old.rules}
    relearned = {(r.field, *_where(r)) for r in learned.rules}
    held = {rule.field for rule, right in verdicts.items() if right}
    kept = tuple(_weighed(rule, right, (rule.field, *_where(rule)) in relearned) for rule, right in verdicts.items())
    fresh = tuple(r for r in learned.rules if r.field not in held
                  or any(_where(r) == _where(o) for o in old.rules if o.field == r.field))
    return merge_layouts(replace(old, rules=kept), replace(learned, rules=fresh))


def _verdict(doc: Document, rule: FieldRule, truth: Mapping[str, str]) -> bool | None:
    """Whether an old rule reads the corrected value on a new document (None: it reads nothing there)."""
    kind = LAYOUT_FIELDS[rule.field]
    if kind == "name" or rule.field not in truth:
        return None
    got = value_at(doc, rule, kind)
    return None if got is None else same_value(kind, got, truth[rule.field])


def _weighed(rule: FieldRule, right: bool | None, relearned: bool) -> FieldRule:
    """An old rule after a new document: confirmed (counted once, here or by the merge when the document
    teaches it again), contradicted (half its count), or untouched."""
    if right is False:
        return replace(rule, seen=rule.seen // 2)
    if right and not relearned:
        return replace(rule, seen=rule.seen + 1)
    return rule
