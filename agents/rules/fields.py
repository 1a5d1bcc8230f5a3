"""Reading an invoice field by its policy name (`amount_due`, `seller.vat_id`, `buyer.address.country`).

Policies weigh and require fields by name; the names are InvoiceData's, nested ones dotted, and the set is
`config.policy.KNOWN_FIELDS`. The names are split once here, so reading a field costs a few attribute
lookups per call.
"""

from __future__ import annotations

from config.policy import KNOWN_FIELDS
from schemas import InvoiceData

_PATHS: dict[str, tuple[str, ...]] = {name: tuple(name.split(".")) for name in KNOWN_FIELDS}


def value_of(invoice: InvoiceData, field: str) -> object | None:
    """The field's value, or None when it (or a party or address on its way) is absent or empty.

    Args:
        invoice: The extracted invoice.
        field: A name from `config.policy.KNOWN_FIELDS`.
    """
    value: object | None = invoice
    for part in _PATHS[field]:
        value = getattr(value, part, None)
        if value is None:
            return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, tuple):
        return value or None
    return value
