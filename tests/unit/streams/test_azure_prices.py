"""Cost is pages times the model's list price, exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from streams.azure import cost_usd, price_per_page


def test_list_prices_per_model_family() -> None:
    assert cost_usd("prebuilt-invoice", 1000) == Decimal("10")
    assert cost_usd("prebuilt-invoice", 3) == Decimal("0.030")
    assert cost_usd("prebuilt-read", 1000) == Decimal("1.50")
    assert cost_usd("acme-invoices-v2", 1000) == Decimal("30")  # any custom model
    assert cost_usd("prebuilt-receipt", 1) == Decimal("0.01")


def test_override_table_and_zero_pages() -> None:
    assert price_per_page("prebuilt-invoice", {"prebuilt-invoice": Decimal("8")}) == Decimal("0.008")
    assert cost_usd("prebuilt-invoice", 0) == Decimal(0)
    with pytest.raises(ValueError):
        cost_usd("prebuilt-invoice", -1)
