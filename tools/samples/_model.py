"""The generator's own invoice model and the EN 16931 arithmetic that fills its totals.

Why separate from ``schemas/``: the sample generator must stay self-contained (it feeds tests and benchmarks of
the pipeline, so it may not share the pipeline's code and hide a common bug). Frozen slotted dataclasses keep the
model cheap to build twenty thousand times and impossible to alter after the totals were computed.

All amounts are ``Decimal``; every rounding is ROUND_HALF_UP to two places, in the order EN 16931 prescribes
(line net, per-rate tax), so the documents re-add exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def q2(value: Decimal) -> Decimal:
    """Round to cents, half up (EN 16931 BR-DEC rules allow two decimals for amounts)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    city: str
    postcode: str
    country: str  # ISO 3166-1 alpha-2


@dataclass(frozen=True, slots=True)
class Party:
    name: str  # legal name: BT-27 / BT-44
    trading_name: str
    address: Address
    vat_id: str | None
    endpoint_scheme: str  # Peppol EAS code
    endpoint_id: str
    contact: str
    email: str
    phone: str
    iban: str | None = None
    bic: str | None = None
    number_kind: int = 0  # how this seller numbers its invoices
    code: str = ""  # short letter code some sellers put into invoice numbers


@dataclass(frozen=True, slots=True)
class Line:
    line_id: str
    name: str
    seller_item_id: str
    quantity: Decimal
    unit: str  # UN/ECE Recommendation 20 code
    price: Decimal  # net unit price, base quantity 1
    net: Decimal  # BT-131 = round(quantity x price)
    category: str  # UNCL5305 VAT category: S or AE
    rate: Decimal


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    charge: bool
    amount: Decimal
    reason: str
    reason_code: str
    category: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class TaxSubtotal:
    category: str
    rate: Decimal
    base: Decimal  # BT-116
    tax: Decimal  # BT-117 = round(base x rate / 100)
    exemption_reason: str | None = None
    exemption_code: str | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    line_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107
    charge_total: Decimal  # BT-108
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    payable: Decimal  # BT-115


@dataclass(frozen=True, slots=True)
class SampleInvoice:
    index: int
    number: str  # BT-1
    type_code: str  # 380 invoice, 381 credit note
    issue_date: date
    due_date: date | None
    delivery_date: date | None
    currency: str
    language: str
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    allowances: tuple[AllowanceCharge, ...]
    subtotals: tuple[TaxSubtotal, ...]
    totals: Totals
    payment_terms: str
    payment_means: str  # UNCL4461: 58 SEPA credit transfer, 30 credit transfer
    payment_reference: str
    buyer_reference: str
    order_reference: str | None
    preceding_invoice: str | None
    note: str | None

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == "381"

    @property
    def doc_type(self) -> str:
        return "credit_note" if self.is_credit_note else "invoice"


def compute_tax(
    lines: tuple[Line, ...], allowances: tuple[AllowanceCharge, ...], prepaid: Decimal,
    exemption: tuple[str, str] | None,
) -> tuple[tuple[TaxSubtotal, ...], Totals]:
    """Per-rate breakdown and document totals, exactly as EN 16931 BR-CO-10..16 add them up."""
    bases: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = (line.category, line.rate)
        bases[key] = bases.get(key, ZERO) + line.net
    for ac in allowances:
        key = (ac.category, ac.rate)
        bases[key] = bases.get(key, ZERO) + (ac.amount if ac.charge else -ac.amount)
    subtotals = []
    for (category, rate), base in sorted(bases.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        reason, code = exemption if (category != "S" and exemption) else (None, None)
        subtotals.append(TaxSubtotal(category, rate, base, q2(base * rate / HUNDRED), reason, code))
    line_total = sum((line.net for line in lines), ZERO)
    allowance_total = sum((ac.amount for ac in allowances if not ac.charge), ZERO)
    charge_total = sum((ac.amount for ac in allowances if ac.charge), ZERO)
    tax_exclusive = line_total - allowance_total + charge_total
    tax_total = sum((s.tax for s in subtotals), ZERO)
    tax_inclusive = tax_exclusive + tax_total
    totals = Totals(line_total, allowance_total, charge_total, tax_exclusive, tax_total, tax_inclusive,
                    prepaid, tax_inclusive - prepaid)
    return tuple(subtotals), totals
