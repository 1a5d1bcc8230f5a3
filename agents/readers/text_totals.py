"""Document totals of a text invoice, chosen so that they agree with each other.

A printed invoice usually shows several amounts next to total-like labels (line sums, VAT per rate, a
subtotal, a grand total, a deposit, the amount due). Reading each label alone picks the wrong one often
enough to matter, but the totals obey arithmetic: net + VAT = total incl. VAT, and total - prepaid =
amount due. So every labelled amount becomes a candidate with a score (`text_amounts`), and the reader
keeps the combination with the best score where agreement earns a bonus. Confidence then follows the
evidence, not the label: an amount that passed two independent checks (the sum and the amount due, or
the sum and the lines) is 0.98, one check 0.95, a label alone at most 0.8; a combination that cannot
agree keeps its amounts at 0.5 or less and says why (`text_totals_mismatch`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from agents.readers.labels import Field
from agents.readers.text_amounts import Candidate, amounts_in, candidates, close, printed_amounts
from agents.readers.text_layout import Document, hits_for

AMOUNT_FIELDS = (Field.NET_TOTAL, Field.TAX_TOTAL, Field.GROSS_TOTAL, Field.PREPAID, Field.AMOUNT_DUE)


@dataclass(frozen=True, slots=True)
class LineEvidence:
    """Net totals the rest of the document leads to, from the lines read or from a printed subtotal
    (each less or plus the printed allowances and charges). A subtotal offered as the net total is
    trivially reachable from itself, so only the lines can vouch for it."""

    from_lines: frozenset[Decimal] = frozenset()
    from_subtotals: frozenset[Decimal] = frozenset()
    adjusted: bool = False  # allowances or charges are printed: the subtotal is then not the net total

    def supports(self, cand: Candidate) -> bool:
        """Whether the lines or another printed subtotal lead to this net total.

        An amount under a column header may be a line amount itself, and a subtotal is the lines' sum by
        definition, so neither is vouched for by the lines (a subtotal only when nothing adjusts it).
        """
        if cand.below:
            return False
        if cand.alias:
            return not self.adjusted and cand.value in self.from_lines
        return cand.value in self.from_lines or cand.value in self.from_subtotals


@dataclass(frozen=True, slots=True)
class Totals:
    """The chosen totals, their confidences, and whether the arithmetic agreed."""

    values: dict[Field, Decimal]
    confidence: dict[Field, float]
    consistent: bool | None  # None: too few totals to check


def _with_derived(options: list[list[Candidate]], printed: dict[Decimal, int]) -> list[list[Candidate]]:
    """Offer net, tax and total incl. VAT computed from the other two: at a low score, or as a read value
    when the document prints that very amount somewhere its label was not recognised."""
    net, tax, gross = options[0][:2], options[1][:2], options[2][:2]
    sums: list[list[Decimal]] = [[], [], []]
    for g in gross:
        sums[0] += [g.value - t.value for t in tax]
        sums[1] += [g.value - n.value for n in net]
    for n in net:
        sums[2] += [n.value + t.value for t in tax]
    out = [list(o) for o in options]
    for i in range(3):
        known = {c.value for c in out[i]}
        for value in sums[i]:
            if value not in known:
                row = printed.get(value)
                found = Candidate(value, 0.5, row=row, alias=True) if row is not None else Candidate(value, 0.3, True)
                out[i].append(found)
                known.add(value)
    return out


def choose_totals(
    doc: Document, decimal_hint: str | None, space_groups: bool, lines: LineEvidence | None = None
) -> Totals:
    """Pick net, tax, total incl. VAT, prepaid and amount due so that they agree where they can.

    Args:
        doc: The document's rows and label hits.
        decimal_hint: The document's decimal separator, if known.
        space_groups: Whether plain spaces group thousands in this document.
        lines: Net totals the lines, the subtotals and the printed allowances and charges lead to.

    Returns:
        The chosen totals (missing ones derived from the others when the arithmetic allows), each with a
        confidence that reflects how many independent checks it passed.
    """
    lines = lines or LineEvidence()
    read = [candidates(doc, field, decimal_hint, space_groups) for field in AMOUNT_FIELDS]
    read[0] = [replace(c, score=c.score + 0.25) if lines.supports(c) else c for c in read[0]]
    prepaid_at = AMOUNT_FIELDS.index(Field.PREPAID)
    # a deposit is printed as "-50,00" or "50,00"; BT-113 is its size
    read[prepaid_at] = _dedupe([Candidate(abs(c.value), c.score, row=c.row) for c in read[prepaid_at]])
    printed = printed_amounts(doc, decimal_hint, space_groups)
    if not read[0]:
        # no net label: the lines' sum, where the document prints it (an unlabelled "Base  172,96" row)
        read[0] = [Candidate(v, 0.5, row=printed[v], alias=True) for v in sorted(lines.from_lines) if v in printed]
    options: list[Sequence[Candidate | None]] = [[*found, None] for found in _with_derived(read, printed)]
    best_combo: tuple[Candidate | None, ...] = (None,) * len(AMOUNT_FIELDS)
    best_score = float("-inf")
    best_checks: dict[str, bool] = {}
    for combo in itertools.product(*options):
        score, checks = _combo_score(combo)
        if score > best_score:
            best_combo, best_score, best_checks = combo, score, checks
    chosen = dict(zip(AMOUNT_FIELDS, best_combo, strict=True))
    for field, found in zip(AMOUNT_FIELDS, read, strict=True):
        cand = chosen[field]
        if cand is not None and (cand.derived or cand.alias) and any(not c.alias for c in found):
            best_checks["printed"] = False  # a computed or unlabelled value won over the labelled ones
    return _finish(doc, chosen, best_checks, lines, (decimal_hint, space_groups))


def _dedupe(candidates: list[Candidate]) -> list[Candidate]:
    best: dict[Decimal, Candidate] = {}
    for cand in candidates:
        if cand.value not in best or best[cand.value].score < cand.score:
            best[cand.value] = cand
    return sorted(best.values(), key=lambda c: -c.score)


def _combo_score(combo: Sequence[Candidate | None]) -> tuple[float, dict[str, bool]]:
    """A combination's score, and the outcome of each check it allows ("sum": net + VAT = total, "due")."""
    net, tax, gross, prepaid, due = combo
    score = sum(c.score for c in combo if c is not None)
    checks: dict[str, bool] = {}
    if net and tax and gross:
        checks["sum"] = close(net.value + tax.value, gross.value)
        score += 1.0 if checks["sum"] else -0.4
    if gross and due:
        paid = prepaid.value if prepaid else Decimal(0)
        checks["due"] = close(gross.value - paid, due.value)
        score += (0.6 if prepaid else 0.3) if checks["due"] else -0.3
    elif prepaid and not due:
        score -= 0.3  # a deposit without an amount due explains nothing
    if net and gross and tax is None and close(net.value, gross.value):
        score -= 0.2  # the same amount twice: probably one label read twice
    return score, checks


def _support(chosen: dict[Field, Candidate | None], checks: dict[str, bool], lines: LineEvidence
             ) -> dict[Field, int]:
    """How many passed checks each printed total took part in (a computed value proves nothing)."""
    printed = {f: c for f, c in chosen.items() if c is not None and not c.derived}
    support = dict.fromkeys(printed, 0)
    trio = (Field.NET_TOTAL, Field.TAX_TOTAL, Field.GROSS_TOTAL)
    # three amounts printed on three rows: one amount read twice (net = total at 0 % VAT) proves nothing
    if checks.get("sum") and set(trio) <= printed.keys() and len({printed[f].row for f in trio}) == 3:
        for field in trio:
            support[field] += 1
    gross, due = printed.get(Field.GROSS_TOTAL), printed.get(Field.AMOUNT_DUE)
    if checks.get("due") and gross is not None and due is not None and gross.row != due.row:
        for field in (Field.GROSS_TOTAL, Field.AMOUNT_DUE, Field.PREPAID):
            if field in support:
                support[field] += 1
    net = printed.get(Field.NET_TOTAL)
    if net is not None and lines.supports(net):
        support[Field.NET_TOTAL] += 1
    return support


def _finish(doc: Document, chosen: dict[Field, Candidate | None], checks: dict[str, bool],
            lines: LineEvidence, fmt: tuple[str | None, bool]) -> Totals:
    """Values and calibrated confidences: two passed checks 0.98, one 0.95, a label alone at most 0.8."""
    ok = all(checks.values()) if checks else None
    support = _support(chosen, checks, lines)
    values: dict[Field, Decimal] = {}
    conf: dict[Field, float] = {}
    for field, cand in chosen.items():
        if cand is None:
            continue
        values[field] = cand.value
        if ok is False:
            conf[field] = min(cand.score, 0.5)
        elif cand.derived:
            conf[field] = 0.6 if ok else 0.4
        else:
            conf[field] = (min(cand.score, 0.8), 0.95, 0.98)[min(support[field], 2)]
    gross_cand = chosen[Field.GROSS_TOTAL]
    if gross_cand is None and Field.AMOUNT_DUE in values and Field.PREPAID not in values:
        # only an amount-due label ("Total a pagar"): with nothing paid it is the total incl. VAT, and the net
        # follows from it and the VAT (derived, so the lines' sum can be checked against it)
        values[Field.GROSS_TOTAL] = values[Field.AMOUNT_DUE]
        conf[Field.GROSS_TOTAL] = min(conf[Field.AMOUNT_DUE], 0.6)
    net, tax, gross = (values.get(f) for f in AMOUNT_FIELDS[:3])
    if gross is None and net is not None and tax is not None:
        values[Field.GROSS_TOTAL], conf[Field.GROSS_TOTAL] = net + tax, 0.6
    elif net is None and gross is not None and tax is not None:
        values[Field.NET_TOTAL], conf[Field.NET_TOTAL] = gross - tax, 0.6
    elif tax is None and gross is not None and net is not None and net <= gross:
        values[Field.TAX_TOTAL], conf[Field.TAX_TOTAL] = gross - net, 0.55
    if Field.AMOUNT_DUE not in values and gross_cand is not None:
        values[Field.AMOUNT_DUE] = gross_cand.value - values.get(Field.PREPAID, Decimal(0))
        conf[Field.AMOUNT_DUE] = min(conf[Field.GROSS_TOTAL], _due_from_total(doc, chosen, values, fmt))
    return Totals(values, conf, ok)


def _due_from_total(doc: Document, chosen: dict[Field, Candidate | None], values: dict[Field, Decimal],
                    fmt: tuple[str | None, bool]) -> float:
    """How sure an amount due taken from the total is: sure when nothing after the total could change it.

    No amount-due label was found, so the amount due is the total (less a deposit read). That holds
    unless the document prints something the reader could not place: a deposit it did not choose, or an
    amount on the rows that follow the total ("less credit note 123 ... -50,00").
    """
    gross = chosen[Field.GROSS_TOTAL]
    if gross is None or gross.derived:
        return 0.6
    if chosen[Field.PREPAID] is not None:
        return 0.8  # a deposit without an amount due to check it against
    if any(amounts_in(h.value, *fmt) for h in hits_for(doc, Field.PREPAID)):
        return 0.6  # a deposit is printed but does not fit the totals
    known = set(values.values())
    placed = {Field.NET_TOTAL, Field.TAX_TOTAL, Field.GROSS_TOTAL, Field.LINE_TOTAL}
    page = doc.rows[gross.row].page if 0 <= gross.row < len(doc.rows) else -1
    for row in doc.rows[gross.row + 1 : gross.row + 4]:
        if row.page != page:
            break
        labelled = {h.field for h in doc.hits if h.row.index == row.index}
        for amount in amounts_in(row.text, *fmt):
            if amount.decimals == 2 and abs(amount.value) not in known and not labelled & placed:
                return 0.7
    return 0.93
