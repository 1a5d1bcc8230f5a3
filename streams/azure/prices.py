"""What a paid analysis costs: pages times the model's list price, in exact decimal dollars.

Azure bills per page analysed, by model family: prebuilt models (invoice, layout, receipt...) $10 per
1,000 pages, custom extraction models $30, and read (OCR only) $1.50. Custom model ids are whatever a
tenant trained, so anything not named `prebuilt-*` is priced as custom. Prices can be overridden (a
negotiated rate, a commitment tier) by passing a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

PER_1000_PAGES: Mapping[str, Decimal] = {
    "prebuilt-read": Decimal("1.50"),
    "prebuilt-layout": Decimal("10"),
    "prebuilt-invoice": Decimal("10"),
}
PREBUILT_PER_1000 = Decimal("10")
CUSTOM_PER_1000 = Decimal("30")
_THOUSAND = Decimal(1000)


def price_per_page(model_id: str, table: Mapping[str, Decimal] | None = None) -> Decimal:
    """US dollars per page for `model_id` (table entries are per 1,000 pages)."""
    prices = PER_1000_PAGES if table is None else table
    if model_id in prices:
        return prices[model_id] / _THOUSAND
    if model_id.startswith("prebuilt-"):
        return PREBUILT_PER_1000 / _THOUSAND
    return CUSTOM_PER_1000 / _THOUSAND


def cost_usd(model_id: str, pages: int, table: Mapping[str, Decimal] | None = None) -> Decimal:
    """The bill for analysing `pages` pages with `model_id`."""
    if pages < 0:
        raise ValueError("pages must be >= 0")
    return price_per_page(model_id, table) * pages
