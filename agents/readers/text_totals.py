"""Document totals of a text invoice, chosen so that they agree with each other.

A printed invoice usually shows several amounts next to total-like labels (line sums, VAT per rate, a
subtotal, a grand total, a deposit, the amount due). Reading each label alone picks the wrong one often
enough to matter, but the totals obey arithmetic: net + VAT = total incl. VAT, and total - prepaid =
amount due. So every labelled amount becomes a candidate with a score, and the reader keeps the
combination with the best score where agreement earns a bonus. A combination that cannot agree keeps
its amounts at a lower confidence and says why (`text_totals_mismatch`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from agents.readers.labels import Field, normalise
from agents.readers.locale_formats import AmountMatch, find_amounts
from agents.readers.text_layout import Document, Hit, hits_for

AMOUNT_FIELDS = (Field.NET_TOTAL, Field.TAX_TOTAL, Field.GROSS_TOTAL, Field.PREPAID, Field.AMOUNT_DUE)
_TOLERANCE = Decimal("0.02")
_KEEP = 4  # candidates kept per field for the combination search


@dataclass(frozen=True, slots=True)
class Candidate:
    """One amount offered for one total, with its score; `derived` ones were computed, not read."""

    value: Decimal
    score: float
    derived: bool = False


@dataclass(frozen=True, slots=True)
class Totals:
    """The chosen totals, their confidences, and whether the arithmetic agreed."""

    values: dict[Field, Decimal]
    confidence: dict[Field, float]
    consistent: bool | None  # None: too few totals to check


def amounts_in(text: str, decimal_hint: str | None, space_groups: bool) -> list[AmountMatch]:
    """Amounts in a value text, without percentages, rates and bare small integers."""
    out: list[AmountMatch] = []
    for amount in find_amounts(text, decimal_hint, space_groups=space_groups):
        rest = text[amount.end : amount.end + 3].lstrip()
        if rest.startswith("%"):
            continue
        if amount.decimals == 0 and amount.currency is None:
            continue
        out.append(amount)
    return out


def _candidates(
    doc: Document, field: Field, decimal_hint: str | None, space_groups: bool
) -> list[Candidate]:
    total_rows = max((h.row.index for h in doc.hits), default=0) or 1
    best: dict[Decimal, float] = {}
    columns: dict[tuple[int, int], list[tuple[Hit, Decimal]]] = {}
    for hit in hits_for(doc, field):
        amounts = amounts_in(hit.value, decimal_hint, space_groups)
        if not amounts:
            continue
        amount = amounts[-1]
        score = _hit_score(hit, total_rows)
        best[amount.value] = max(best.get(amount.value, 0.0), score)
        if amount.parenthesized:  # "(35,13 €)" may be a note, not a negative amount
            best[-amount.value] = max(best.get(-amount.value, 0.0), score - 0.1)
        if hit.below:
            columns.setdefault((hit.row.index, hit.label.start), []).append((hit, amount.value))
    if field is Field.TAX_TOTAL:
        for value in _breakdown_sums(doc, decimal_hint, space_groups):
            best[value] = max(best.get(value, 0.0), 0.7)
    for column in columns.values():
        # under a header, the row that sums the rows above it is the total
        for i, (_, value) in enumerate(column):
            if i >= 2 and _close(sum((v for _, v in column[:i]), Decimal(0)), value):
                best[value] = best.get(value, 0.0) + 0.3
    ranked = sorted(best.items(), key=lambda kv: -kv[1])[:_KEEP]
    return [Candidate(v, s) for v, s in ranked]


def _breakdown_sums(doc: Document, decimal_hint: str | None, space_groups: bool) -> list[Decimal]:
    """VAT printed per rate on consecutive rows ("VAT 20 % ... 40,00", "VAT 10 % ... 5,00"): their sum."""
    runs: list[list[tuple[int, Decimal]]] = []
    for hit in hits_for(doc, Field.TAX_TOTAL):
        if hit.below or not re.search(r"\d\s*%", hit.value + hit.row.text[hit.label.end :]):
            continue
        amounts = amounts_in(hit.value, decimal_hint, space_groups)
        if not amounts:
            continue
        item = (hit.row.index, amounts[-1].value)
        if runs and runs[-1][-1][0] == hit.row.index - 1:
            runs[-1].append(item)
        elif not runs or runs[-1][-1][0] != hit.row.index:
            runs.append([item])
    return [sum((v for _, v in run), Decimal(0)) for run in runs if len(run) >= 2]


def _with_derived(options: list[list[Candidate]]) -> list[list[Candidate]]:
    """Offer net, tax and total incl. VAT computed from the other two, at a low score."""
    net, tax, gross = options[0][:2], options[1][:2], options[2][:2]
    extra: list[list[Candidate]] = [[], [], []]
    for g in gross:
        extra[0] += [Candidate(g.value - t.value, 0.3, True) for t in tax]
        extra[1] += [Candidate(g.value - n.value, 0.3, True) for n in net]
    for n in net:
        extra[2] += [Candidate(n.value + t.value, 0.3, True) for t in tax]
    out = [list(o) for o in options]
    for i in range(3):
        known = {c.value for c in out[i]}
        for cand in extra[i]:
            if cand.value not in known:
                out[i].append(cand)
                known.add(cand.value)
    return out


def _hit_score(hit: Hit, total_rows: int) -> float:
    phrase = normalise(hit.label.phrase)
    score = 0.55 + min(0.25, len(phrase) / 60)
    if hit.row.starts_segment(hit.label.start):
        score += 0.05
    score += 0.08 * hit.row.index / total_rows  # totals close the document
    if hit.below:
        score -= 0.1 + 0.03 * hit.below
    if re.search(r"\d+\s*%", hit.row.text[: hit.label.start]):
        score -= 0.1  # a rate before the label: a breakdown row, not the total
    return min(score, 0.9)


def choose_totals(doc: Document, decimal_hint: str | None, space_groups: bool) -> Totals:
    """Pick net, tax, total incl. VAT, prepaid and amount due so that they agree where they can.

    Args:
        doc: The document's rows and label hits.
        decimal_hint: The document's decimal separator, if known.
        space_groups: Whether plain spaces group thousands in this document.

    Returns:
        The chosen totals (missing ones derived from the others when the arithmetic allows).
    """
    read = [_candidates(doc, field, decimal_hint, space_groups) for field in AMOUNT_FIELDS]
    prepaid_at = AMOUNT_FIELDS.index(Field.PREPAID)
    # a deposit is printed as "-50,00" or "50,00"; BT-113 is its size
    read[prepaid_at] = _dedupe([Candidate(abs(c.value), c.score) for c in read[prepaid_at]])
    options: list[Sequence[Candidate | None]] = [[*found, None] for found in _with_derived(read)]
    best_combo: tuple[Candidate | None, ...] = (None,) * len(AMOUNT_FIELDS)
    best_score = float("-inf")
    best_ok: bool | None = None
    for combo in itertools.product(*options):
        score, ok = _combo_score(combo)
        if score > best_score:
            best_combo, best_score, best_ok = combo, score, ok
    chosen = dict(zip(AMOUNT_FIELDS, best_combo, strict=True))
    for field, found in zip(AMOUNT_FIELDS, read, strict=True):
        cand = chosen[field]
        if cand is not None and cand.derived and found:
            best_ok = False  # a computed value won over what the document prints: the totals disagree
    return _finish(chosen, best_ok)


def _dedupe(candidates: list[Candidate]) -> list[Candidate]:
    best: dict[Decimal, Candidate] = {}
    for cand in candidates:
        if cand.value not in best or best[cand.value].score < cand.score:
            best[cand.value] = cand
    return sorted(best.values(), key=lambda c: -c.score)


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= _TOLERANCE


def _combo_score(combo: Sequence[Candidate | None]) -> tuple[float, bool | None]:
    net, tax, gross, prepaid, due = combo
    score = sum(c.score for c in combo if c is not None)
    ok: bool | None = None
    if net and tax and gross:
        ok = _close(net.value + tax.value, gross.value)
        score += 1.0 if ok else -0.4
    if gross and due:
        paid = prepaid.value if prepaid else Decimal(0)
        agree = _close(gross.value - paid, due.value)
        score += (0.6 if prepaid else 0.3) if agree else -0.3
        ok = agree if ok is None else ok and agree
    elif prepaid and not due:
        score -= 0.3  # a deposit without an amount due explains nothing
    if net and gross and tax is None and _close(net.value, gross.value):
        score -= 0.2  # the same amount twice: probably one label read twice
    return score, ok


def _finish(chosen: dict[Field, Candidate | None], ok: bool | None) -> Totals:
    values = {f: c.value for f, c in chosen.items() if c is not None}
    conf = {f: c.score for f, c in chosen.items() if c is not None}
    if ok:
        conf = {f: max(s, 0.92) for f, s in conf.items()}
    elif ok is False:
        conf = {f: min(s, 0.5) for f, s in conf.items()}
    for field, cand in chosen.items():
        if cand is not None and cand.derived:
            conf[field] = 0.6 if ok else 0.4
    net, tax, gross = (values.get(f) for f in AMOUNT_FIELDS[:3])
    if gross is None and net is not None and tax is not None:
        values[Field.GROSS_TOTAL], conf[Field.GROSS_TOTAL] = net + tax, 0.6
    elif net is None and gross is not None and tax is not None:
        values[Field.NET_TOTAL], conf[Field.NET_TOTAL] = gross - tax, 0.6
    elif tax is None and gross is not None and net is not None and net <= gross:
        values[Field.TAX_TOTAL], conf[Field.TAX_TOTAL] = gross - net, 0.55
    gross = values.get(Field.GROSS_TOTAL)
    if Field.AMOUNT_DUE not in values and gross is not None:
        paid = values.get(Field.PREPAID, Decimal(0))
        values[Field.AMOUNT_DUE] = gross - paid
        conf[Field.AMOUNT_DUE] = min(conf[Field.GROSS_TOTAL], 0.8 if Field.PREPAID in values else 0.75)
    if Field.GROSS_TOTAL not in values and Field.AMOUNT_DUE in values and Field.PREPAID not in values:
        values[Field.GROSS_TOTAL] = values[Field.AMOUNT_DUE]
        conf[Field.GROSS_TOTAL] = min(conf[Field.AMOUNT_DUE], 0.6)
    return Totals(values, conf, ok)
