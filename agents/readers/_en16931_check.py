"""Refuse a UBL or CII invoice that breaks a fatal EN 16931 business rule, judged on what its reader read.

An invoice that fails the standard's own rules is one its receiver's validator would reject (Peppol access
points, XRechnung and Chorus Pro portals all run them): its totals do not add up, or a term every invoice
must carry is missing, so no figure in it can be approved unseen. The rules are the standard's, written
from their text against what the UBL or CII reader read in its one walk: the `InvoiceData` (number, dates,
parties, totals, lines, amounts already parsed) and the few `CoreTerms` it gathered besides
(`_en16931_terms`), so nothing is read twice and both syntaxes share one set of rules:

- mandatory terms: BR-01 to BR-16 (document, parties, totals, at least one line), BR-21 to BR-27 (each
  line), BR-31/32 and BR-36/37 (each document allowance and charge), BR-45 to BR-48 (each VAT breakdown),
  BR-CO-04 (each line's VAT category), BR-CO-18 (at least one breakdown), BR-CO-26 (the seller identified),
  BR-CO-09 (a VAT identifier opens with a country code; its shape only, two capital letters);
- the arithmetic: BR-CO-10 to BR-CO-16, each computed sum rounded to two decimals and compared with the
  stated amount rounded the same way (the artefacts' ``round(x * 100) div 100``), and BR-CO-17, the tax of
  a breakdown within one unit of its base times its rate, the tolerance the official artefacts allow; and
  the one CIUS rule taken over, Peppol's PEPPOL-EN16931-R040: a document allowance or charge that states
  its base amount and percentage (BT-93/94, BT-100/101, which the standard defines as what the amount is
  computed from) has for amount the base times the percentage, to the cent;
- per VAT category (S, Z, E, AE, K, G, O, L, M): a line, allowance or charge of a category needs a
  breakdown of it (BR-x-01), a line's rate fits its category (BR-x-05), a breakdown's tax fits its
  category (BR-x-09), and an exemption reason is given where the category exempts and only there (BR-x-10);
- code lists, only the small stable one: BR-CL-17/18, the VAT category codes of UNTDID 5305 that EN 16931
  admits. The long lists (currencies BR-CL-04, countries BR-CL-14, units BR-CL-23, electronic address and
  identifier schemes BR-CL-10/11/25, type codes BR-CL-01) are left to the receiver's validator.

Which rules bind depends on what the document claims. EN 16931 binds a document whose specification
identifier (BT-24) names the standard as its core or a compliant CIUS (``urn:cen.eu:en16931:2017``,
``...#compliant#...``: XRechnung, Peppol BIS 3, Factur-X BASIC and EN 16931). A *conformant* extension
(Factur-X EXTENDED, XRechnung extension) may relax the core, and a document that claims something else (UBL
2.0/2.1 samples, CEN BII, ZUGFeRD 1.0, Factur-X MINIMUM and BASIC WL, which carry no lines) was never made
to the standard: those get only the rules any invoice meets whatever its profile, its own arithmetic where
it states both sides (BR-CO-14) and the VAT breakdown of every category its lines use (BR-x-01). A document
claiming the standard's predecessor, a CEN BII 1.0 core transaction (``urn:www.cenbii.eu:transaction:
biicoretrdm010:ver1.0``: T10 invoice, T14 credit note, T15 corrective invoice), gets besides BII's own rule on
the parties' VAT identifiers across a border (BIIRULE-Tnn-R003, R005): where seller and buyer addresses name
different countries, each party's VAT identifier opens with its own country's code (``EL`` for Greece,
``XI`` for Northern Ireland). BII flags it a warning; we refuse on it because on a cross-border invoice
those identifiers are what the reverse charge and the receiver's VIES check rest on, so an invoice whose
identifiers cannot be tied to its parties' countries is one to have re-issued, not to pay unseen. The rule
is BII's, not the standard's (a seller may rightly use another member state's registration under EN 16931),
so it binds only documents that claim BII; across the corpus it fires on exactly its two error samples.

The extract stage runs the check after the reader (`agents.extract`): an invoice that breaks a rule that
binds it ends on route ``invalid``, one reason per rule (at most `MAX_REASONS`): ``en16931_<rule>``, or
``cenbii_<rule>`` for BII's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, DecimalException

from agents.readers._detection import reason
from agents.readers._en16931_terms import Breakdown, CoreTerms
from schemas import InvoiceData, Reason

__all__ = ["MAX_REASONS", "claims_core", "en16931_reasons", "fatal_rules"]

MAX_REASONS = 5  # a file breaking dozens of rules needs a few named, not all

_CENT = Decimal("0.01")
_COUNTRY_PREFIX = re.compile(r"[A-Z]{2}")
Check = Callable[[InvoiceData, CoreTerms, list[str]], None]  # one family: appends the rules broken
_ONE = Decimal(1)
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_CORE = "urn:cen.eu:en16931:2017"
_BII_CORE = re.compile(r"urn:www\.cenbii\.eu:transaction:biicoretrdm0(\d\d):ver1\.0")
_BII_RULE = "BIIRULE-"
# the VAT identifier prefixes a country's parties use besides its ISO code (VAT Directive Art. 215)
_VAT_PREFIXES = {"GR": ("GR", "EL"), "GB": ("GB", "XI")}
_PERCENTAGE_RULE = "PEPPOL-EN16931-R040"
# UNTDID 5305 codes EN 16931 admits (BR-CL-17, BR-CL-18)
_CATEGORIES = frozenset({"S", "Z", "E", "AE", "K", "G", "O", "L", "M", "B"})
# category -> rule prefix, whether one breakdown of it is required exactly (else at least one)
_CATEGORY_RULES = {
    "S": ("BR-S", False), "Z": ("BR-Z", True), "E": ("BR-E", True), "AE": ("BR-AE", True),
    "K": ("BR-IC", True), "G": ("BR-G", True), "O": ("BR-O", True), "L": ("BR-AF", False), "M": ("BR-AG", False),
}
_ZERO_RATED = frozenset({"Z", "E", "AE", "K", "G"})  # a line's rate is 0 and a breakdown's tax is 0
_EXEMPTING = frozenset({"E", "AE", "K", "G", "O"})  # a breakdown states why no VAT is charged


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _differs(stated: Decimal | None, *terms: Decimal | None) -> bool:
    """Whether `stated` is given and is not the sum of `terms` (absent terms count 0), both to the cent."""
    if stated is None:
        return False
    total = _ZERO
    for term in terms:
        if term is not None:
            total += term
    # an exact match, the usual case, rounds alike: only a mismatch pays for the two roundings
    return stated != total and _round(stated) != _round(total)


def _negated(value: Decimal | None) -> Decimal | None:
    return None if value is None else -value


_MANDATORY = ("BR-01", "BR-02", "BR-03", "BR-04", "BR-05", "BR-06", "BR-07", "BR-08", "BR-09", "BR-10", "BR-11",
              "BR-12", "BR-13", "BR-14", "BR-15")
_LINE_TERMS = ("BR-21", "BR-22", "BR-23", "BR-24", "BR-25", "BR-26", "BR-CO-04")


def _mandatory(inv: InvoiceData, terms: CoreTerms, out: list[str]) -> None:
    """BR-01 to BR-16, BR-CO-18 and BR-CO-26: the terms every invoice carries."""
    seller, buyer = inv.seller.address, inv.buyer.address
    values = (
        terms.specification, inv.invoice_number, inv.issue_date, inv.type_code, inv.currency, terms.seller.name,
        terms.buyer.name, seller is not None or None, seller and seller.country, buyer is not None or None,
        buyer and buyer.country, inv.line_net_total,
        inv.total_net, inv.total_incl_vat, inv.amount_due,
    )  # in the order of _MANDATORY
    # by identity: `None in values` would compare each Decimal with None, which asks numbers.Rational (an ABC)
    out.extend(rule for rule, value in zip(_MANDATORY, values, strict=True) if value is None)
    if not inv.lines:
        out.append("BR-16")
    if not terms.breakdowns:
        out.append("BR-CO-18")
    if not terms.seller.identified:
        out.append("BR-CO-26")


def _parts(inv: InvoiceData, terms: CoreTerms, out: list[str]) -> None:
    """BR-21 to BR-27 and BR-CO-04 per line, BR-31/32 and BR-36/37 per allowance and charge, BR-45 to BR-48
    per breakdown."""
    for line, more in zip(inv.lines, terms.lines, strict=True):
        values = (line.line_id, line.quantity, line.unit, line.net_amount, more.named or None, line.unit_price,
                  more.category)  # in the order of _LINE_TERMS
        out.extend(rule for rule, value in zip(_LINE_TERMS, values, strict=True) if value is None)
        if line.unit_price is not None and line.unit_price < 0:
            out.append("BR-27")
    for charge in terms.charges:
        if charge.amount is None:
            out.append("BR-36" if charge.is_charge else "BR-31")
        if charge.category is None:
            out.append("BR-37" if charge.is_charge else "BR-32")
    for row in terms.breakdowns:
        if row.basis is None:
            out.append("BR-45")
        if row.tax is None:
            out.append("BR-46")
        if row.category is None:
            out.append("BR-47")
        if row.rate is None and row.category != "O":
            out.append("BR-48")


def _vat_prefixes(inv: InvoiceData, terms: CoreTerms, out: list[str]) -> None:
    """BR-CO-09: a VAT identifier opens with the two-letter code of the country that issued it (the letters'
    shape only: the ISO 3166-1 list itself is left to the receiver's validator)."""
    for vat_id in (*terms.seller.vat_ids, *terms.buyer.vat_ids):
        if not _COUNTRY_PREFIX.match(vat_id):
            out.append("BR-CO-09")
            return


def _arithmetic(inv: InvoiceData, terms: CoreTerms, out: list[str]) -> None:
    """BR-CO-10 to BR-CO-17: the totals are the sums of their parts."""
    allowances = [c.amount for c in terms.charges if not c.is_charge]
    charges = [c.amount for c in terms.charges if c.is_charge]
    sums = (
        ("BR-CO-10", inv.line_net_total, [line.net_amount for line in inv.lines]),
        ("BR-CO-11", inv.allowance_total, allowances),
        ("BR-CO-12", inv.charge_total, charges),
        ("BR-CO-13", inv.total_net, [inv.line_net_total, _negated(inv.allowance_total), inv.charge_total]),
        ("BR-CO-15", inv.total_incl_vat, [inv.total_net, inv.total_tax]),
        ("BR-CO-16", inv.amount_due, [inv.total_incl_vat, _negated(inv.prepaid), inv.rounding]),
    )
    for rule, stated, parts in sums:
        if _differs(stated, *parts):
            out.append(rule)
    for charge in terms.charges:
        if charge.base is not None and charge.percent is not None and charge.amount is not None and (
            _round(charge.amount) != _round(charge.base * charge.percent / _HUNDRED)
        ):
            out.append(_PERCENTAGE_RULE)
            break
    _co14(inv, terms, out)
    for row in terms.breakdowns:
        if _tax_off(row):
            out.append("BR-CO-17")


def _co14(inv: InvoiceData, terms: CoreTerms, out: list[str]) -> None:
    """BR-CO-14: the VAT total is the sum of the breakdowns' tax, where both are stated."""
    taxes = [row.tax for row in terms.breakdowns]
    if taxes and None not in taxes and _differs(inv.total_tax, *taxes):
        out.append("BR-CO-14")


def _tax_off(row: Breakdown) -> bool:
    """Whether a breakdown's tax is a unit or more away from its base times its rate (BR-CO-17)."""
    if row.basis is None or row.tax is None or row.rate is None:
        return False
    return abs(row.tax - _round(row.basis * row.rate / _HUNDRED)) >= _ONE


def _categories(inv: InvoiceData, terms: CoreTerms, out: list[str]) -> None:
    """BR-x-05, BR-x-09, BR-x-10 per VAT category, and the code list BR-CL-17/18."""
    for line, more in zip(inv.lines, terms.lines, strict=True):
        _line_category(more.category, line.tax_rate, out)
    for row in terms.breakdowns:
        if row.category is None:
            continue
        if row.category not in _CATEGORIES:
            out.append("BR-CL-18")
            continue
        prefix = _CATEGORY_RULES.get(row.category, ("", False))[0]
        if not prefix:
            continue
        if row.category in _ZERO_RATED and row.tax is not None and row.tax != 0:
            out.append(f"{prefix}-09")
        if row.category == "S" and _tax_off(row):
            out.append(f"{prefix}-09")
        if (row.category in _EXEMPTING) != row.exemption_reason:
            out.append(f"{prefix}-10")


def _line_category(category: str | None, rate: Decimal | None, out: list[str]) -> None:
    if category is None:
        return
    if category not in _CATEGORIES:
        out.append("BR-CL-17")
        return
    prefix = _CATEGORY_RULES.get(category, ("", False))[0]
    if category == "S" and (rate is None or rate <= 0):
        out.append("BR-S-05")
    elif category in _ZERO_RATED and (rate is None or rate != 0):
        out.append(f"{prefix}-05")
    elif category == "O" and rate is not None:
        out.append("BR-O-05")


def _breakdowns_cover(inv: InvoiceData, terms: CoreTerms, out: list[str]) -> None:
    """BR-x-01: a category a line, allowance or charge uses has its breakdown (exactly one where required)."""
    used = {line.category for line in terms.lines} | {c.category for c in terms.charges}
    counts: dict[str | None, int] = {}
    for row in terms.breakdowns:
        counts[row.category] = counts.get(row.category, 0) + 1
    for category in sorted(c for c in used if c in _CATEGORY_RULES):
        prefix, exactly_one = _CATEGORY_RULES[category]
        count = counts.get(category, 0)
        if count == 0 or (exactly_one and count > 1):
            out.append(f"{prefix}-01")


def _bii_vat_prefixes(transaction: str) -> Check:
    """BIIRULE-Tnn-R003 and R005 of BII transaction `transaction` (``10``, ``14``, ``15``): across a border,
    the seller's and the buyer's VAT identifiers open with their own address's country code."""

    def check(inv: InvoiceData, terms: CoreTerms, out: list[str]) -> None:
        seller = inv.seller.address.country if inv.seller.address else None
        buyer = inv.buyer.address.country if inv.buyer.address else None
        if not seller or not buyer or seller == buyer:
            return
        for country, vat_ids, rule in ((seller, terms.seller.vat_ids, "R003"), (buyer, terms.buyer.vat_ids, "R005")):
            prefixes = _VAT_PREFIXES.get(country, (country,))
            if any(not vat_id.startswith(prefixes) for vat_id in vat_ids):
                out.append(f"{_BII_RULE}T{transaction}-{rule}")

    return check


# the families of rules in the order checked: all of them for a document claiming EN 16931, and for any
# other the two every invoice meets whatever its profile (`_arithmetic` includes `_co14`)
_CORE_GROUPS: tuple[Check, ...] = (_mandatory, _parts, _vat_prefixes, _arithmetic, _categories, _breakdowns_cover)
_ANY_GROUPS: tuple[Check, ...] = (_co14, _breakdowns_cover)
_BII_GROUPS = {transaction: (*_ANY_GROUPS, _bii_vat_prefixes(transaction)) for transaction in ("10", "14", "15")}


def claims_core(specification: str | None) -> bool:
    """Whether BT-24 claims EN 16931 itself or a compliant CIUS (not a conformant extension, not another
    specification)."""
    return specification is not None and specification.startswith(_CORE) and "#conformant#" not in specification


def _binding(specification: str | None) -> tuple[Check, ...]:
    """The families of rules that bind a document claiming `specification` (BT-24)."""
    if claims_core(specification):
        return _CORE_GROUPS
    bii = _BII_CORE.fullmatch(specification) if specification else None
    return _BII_GROUPS.get(bii.group(1), _ANY_GROUPS) if bii else _ANY_GROUPS


def fatal_rules(invoice: InvoiceData, terms: CoreTerms) -> tuple[str, ...]:
    """The fatal rules an invoice breaks, each once, in the order checked.

    Args:
        invoice: What the UBL or CII reader read.
        terms: The terms it gathered besides (`read_ubl_terms`, `read_cii_terms`).

    Returns:
        Rule ids (``BR-CO-15``, ``BIIRULE-T10-R003``...), empty when the invoice passes every rule that binds
        it.

    Raises:
        decimal.DecimalException: When an amount is beyond decimal arithmetic (`en16931_reasons` says so).
    """
    out: list[str] = []
    for check in _binding(terms.specification):
        check(invoice, terms, out)
    return tuple(dict.fromkeys(out)) if out else ()


def en16931_reasons(invoice: InvoiceData, terms: CoreTerms) -> tuple[Reason, ...]:
    """One reason per fatal rule broken (at most `MAX_REASONS`), coded ``en16931_<rule>`` (``cenbii_<rule>``
    for a CEN BII rule); or the single reason
    ``amount_out_of_range`` when an amount is beyond decimal arithmetic (``1E+999999``, or more significant
    digits than a cent can be computed to), which no invoice states and no rule can be judged on."""
    try:
        rules = fatal_rules(invoice, terms)
    except DecimalException:  # Overflow, InvalidOperation: hostile input, never a crash
        return (reason("amount_out_of_range", "An amount is too large to check the invoice's sums."),)
    if not rules:
        return ()
    return tuple(_reason(rule) for rule in rules[:MAX_REASONS])


def _reason(rule: str) -> Reason:
    if rule.startswith(_BII_RULE):
        return reason(f"cenbii_{rule}", f"The invoice breaks CEN BII rule {rule}.")
    return reason(f"en16931_{rule}", f"The invoice breaks EN 16931 rule {rule}.")
