"""Required fields: what a tenant needs on every invoice before anything is paid automatically.

Each tenant names its required fields in its policy (invoice number, issue date, currency, seller name and
amount due by default); a missing one means a human has to complete the record, whatever the score.
"""

from __future__ import annotations

from agents.rules.catalog import Finding
from agents.rules.fields import value_of
from schemas import InvoiceData


def check(invoice: InvoiceData, required: tuple[str, ...]) -> list[Finding]:
    """One `missing_field` finding per required field that is absent or empty.

    Args:
        invoice: The extracted invoice.
        required: Field names from the tenant policy.
    """
    return [Finding("missing_field", name) for name in required if value_of(invoice, name) is None]
