"""Every number of an invoice is bounded (`schemas.Amount`): what no invoice states never reaches a stage."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from schemas import AMOUNT_LIMIT, InvoiceData, LineItem, TaxSubtotal, fits_amount

_IN = ["0", "-0.01", "999999999999999.99", "-999999999999999", "1E+14", "0.00000000000000000001",
       "1.500000000000000000000000"]
_OUT = ["1E+15", "-1000000000000000", "99999999999999999999.00", "1E+999999", "NaN", "Infinity"]


_TINY = ["1E-21", "1E-999999"]  # more decimal places than any amount: the readers drop them, the contract lets
# them be (counting places costs more than the rest of an event's decoding)


@pytest.mark.parametrize("value", _IN + _OUT + _TINY)
def test_the_contract_and_fits_amount_agree(value: str) -> None:
    number = Decimal(value)
    fits = value in _IN
    assert fits_amount(number) is fits
    fits = fits or value in _TINY
    for build in (lambda: InvoiceData(amount_due=number), lambda: LineItem(unit_price=number),
                  lambda: TaxSubtotal(taxable_amount=number, tax_amount=Decimal(0))):
        if fits:
            build()
        else:
            with pytest.raises(ValidationError):
                build()


def test_the_limit_fits_the_records_numeric_18_2() -> None:
    assert len(str(AMOUNT_LIMIT - Decimal("0.01")).replace(".", "")) == 17  # 15 + 2 digits: under numeric(18, 2)
    assert InvoiceData.model_validate_json('{"total_net": "123.45"}').total_net == Decimal("123.45")
    with pytest.raises(ValidationError):
        InvoiceData.model_validate_json('{"total_net": "1E+999999"}')  # an old event is refused as it decodes

