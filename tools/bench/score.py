"""Micro-benchmark of the pure score function: the per-invoice CPU cost of the decision.

The target is a median under 0.2 ms per invoice so that scoring is never what limits a stage's
throughput (a Faust hop alone costs about 0.15-0.2 ms). The invoice is a typical machine-readable one:
five lines, two VAT rates, seller and buyer VAT ids and an IBAN, all rules passing, so every rule runs.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from agents.score import ScoreContext, score
from config.policy import load_policy_book
from schemas import (
    Address,
    DocType,
    DocumentFormat,
    DocumentRef,
    InvoiceData,
    InvoiceExtracted,
    LineItem,
    Party,
    Route,
    TaxSubtotal,
)


def sample_extracted() -> InvoiceExtracted:
    """A typical valid e-invoice as the extract stage emits it."""
    d = Decimal
    lines = tuple(
        LineItem(line_id=str(i), quantity=d(i), unit_price=d("10.00"), net_amount=d(10 * i), tax_rate=rate)
        for i, rate in ((1, d(19)), (2, d(19)), (3, d(7)), (4, d(7)), (5, d(19)))
    )
    invoice = InvoiceData(
        invoice_number="INV-2024-0001",
        type_code="380",
        doc_type=DocType.INVOICE,
        issue_date=date(2024, 5, 2),
        due_date=date(2024, 6, 1),
        currency="EUR",
        seller=Party(name="Lieferant GmbH", vat_id="DE136695976", address=Address(country="DE")),
        buyer=Party(name="Kunde AG", vat_id="ATU13585627", address=Address(country="AT")),
        seller_iban="DE89370400440532013000",
        line_net_total=d("150.00"),
        total_net=d("150.00"),
        total_tax=d("20.10"),
        total_incl_vat=d("170.10"),
        amount_due=d("170.10"),
        tax_breakdown=(
            TaxSubtotal(category="S", rate=d(19), taxable_amount=d("80.00"), tax_amount=d("15.20")),
            TaxSubtotal(category="S", rate=d(7), taxable_amount=d("70.00"), tax_amount=d("4.90")),
        ),
        lines=lines,
    )
    stamp = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
    return InvoiceExtracted(
        event_id="bench-extract",
        invoice_id="bench-invoice",
        tenant_id="bench",
        received_at=stamp,
        extracted_at=stamp,
        document=DocumentRef(uri="file:///bench.xml", sha256="0" * 64, size=1),
        format=DocumentFormat.UBL,
        route=Route.STRUCTURED,
        extractor="ubl",
        invoice=invoice,
    )


def bench_score(n: int = 20_000) -> float:
    """Score the sample invoice `n` times under the built-in policy.

    Args:
        n: Number of timed calls (after a short warm-up).

    Returns:
        The median time of one `score` call, in microseconds.
    """
    policy = load_policy_book(None).default
    extracted = sample_extracted()
    context = ScoreContext(vendor_known=True)
    now = datetime(2024, 5, 3, tzinfo=UTC)
    for _ in range(min(n, 200)):
        score(extracted, policy, context, now)
    timings: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(n):
        start = clock()
        score(extracted, policy, context, now)
        timings.append(clock() - start)
    return statistics.median(timings) / 1000.0
