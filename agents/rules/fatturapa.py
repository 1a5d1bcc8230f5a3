"""FatturaPA arithmetic: do the lines at each VAT rate add up to that rate's summary?

A FatturaPA has no line total or document net of its own to check: its totals are the summaries
(DatiRiepilogo), one per VAT rate or exemption, and the SdI expects each summary's taxable amount to be the
sum of the lines at that rate. The EN 16931 checks (`arithmetic`) already cover the rest once the reader
has mapped the fields: each summary's tax against its rate, total VAT and net against the summaries, and
the document total against net + VAT + rounding. This rule runs on FatturaPA alone (a TipoDocumento type
code, ``TDnn``): UBL and CII spread document allowances and charges over rates, which their lines do not show.

Summaries at the same rate (two exemptions at 0%) are added together, as the lines do not say which
exemption they fall under. A summary's own SpeseAccessorie or Arrotondamento are not in the normalised
invoice, so a summary that uses them is reported here and reviewed: the safe side.
"""

from __future__ import annotations

import re
from decimal import Decimal

from agents.rules.catalog import Finding
from schemas import InvoiceData

_TIPO_DOCUMENTO = re.compile(r"^TD\d\d$")
_HALF_CENT = Decimal("0.005")


def check(invoice: InvoiceData, tolerance: Decimal) -> list[Finding]:
    """`rate_base_mismatch` when the lines at some VAT rate do not add up to that rate's summaries.

    Args:
        invoice: The extracted invoice (checked only when its type code is a TipoDocumento).
        tolerance: Allowed rounding difference per operation.
    """
    if not _TIPO_DOCUMENTO.match(invoice.type_code or "") or not invoice.lines or not invoice.tax_breakdown:
        return []
    lines: dict[Decimal, Decimal] = {}
    counts: dict[Decimal, int] = {}
    for line in invoice.lines:
        if line.tax_rate is None or line.net_amount is None:
            return []  # a line we cannot place: nothing to compare with
        lines[line.tax_rate] = lines.get(line.tax_rate, Decimal(0)) + line.net_amount
        counts[line.tax_rate] = counts.get(line.tax_rate, 0) + 1
    summaries: dict[Decimal, Decimal] = {}
    for row in invoice.tax_breakdown:
        if row.rate is None:
            return []
        summaries[row.rate] = summaries.get(row.rate, Decimal(0)) + row.taxable_amount
    for rate in lines.keys() | summaries.keys():
        slack = max(tolerance, _HALF_CENT * counts.get(rate, 1))
        if abs(lines.get(rate, Decimal(0)) - summaries.get(rate, Decimal(0))) > slack:
            return [Finding("rate_base_mismatch", "tax_breakdown")]
    return []
