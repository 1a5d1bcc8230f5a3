"""Date plausibility: an invoice is not issued in the future, and is not due before it is issued.

A future issue date is a misread (day and month swapped, a wrong year) or a document prepared ahead of
time; a due date before the issue date is usually the same kind of slip. Both deserve a human look. The
policy allows a few days into the future because the issuer's clock and time zone are not ours.
"""

from __future__ import annotations

from datetime import date, timedelta

from agents.rules.catalog import Finding
from schemas import InvoiceData


def check(invoice: InvoiceData, today: date, max_future_days: int) -> list[Finding]:
    """Check the issue and due dates.

    Args:
        invoice: The extracted invoice.
        today: The scoring date (UTC), passed in so the rule stays pure.
        max_future_days: How far past `today` an issue date may lie.

    Returns:
        `issue_date_in_future` and/or `due_before_issue` findings.
    """
    found: list[Finding] = []
    issued = invoice.issue_date
    if issued is not None and issued > today + timedelta(days=max_future_days):
        found.append(Finding("issue_date_in_future", "issue_date"))
    if issued is not None and invoice.due_date is not None and invoice.due_date < issued:
        found.append(Finding("due_before_issue", "due_date"))
    return found
