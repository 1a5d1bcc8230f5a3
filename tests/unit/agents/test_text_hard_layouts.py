"""The text reader on the layouts of the hard family: tables with a per-line VAT column, parties, dates, money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from _lines import page

from agents.readers.text_reader import read_text

_HEAD = [[(50, "Factuur")], [(350, "Factuurnummer"), (460, "F-2026-118")], [(350, "Factuurdatum"), (460, "12-02-2026")]]


@pytest.mark.parametrize("headers", [
    ("Btw %", "Btw", "Bedrag"),  # two column headers side by side, not the phrase "btw bedrag"
    ("Btw %", "Btw-bedrag", "Bedrag"),  # a per-line VAT amount column named as such
])
def test_a_per_line_vat_column_is_neither_a_line_amount_nor_the_vat_total(headers: tuple[str, str, str]) -> None:
    rate, vat, amount = headers
    table = [
        [(50, "Nr."), (90, "Omschrijving"), (260, "Aantal"), (310, "Prijs"), (360, rate), (410, vat), (480, amount)],
        [(50, "1"), (90, "Vakboeken"), (260, "1"), (310, "50,12"), (360, "6%"), (410, "3,01"), (480, "50,12")],
        [(50, "2"), (90, "Mineraalwater"), (260, "24"), (310, "0,81"), (360, "6%"), (410, "1,17"), (480, "19,49")],
        [(330, "Totaal excl. btw"), (480, "69,61 €")],
        [(330, "6% btw"), (480, "4,18 €")],  # the rate before a one-word label: still the VAT row
        [(330, "Totaal incl. btw"), (480, "73,79 €")],
    ]
    data, reasons = read_text([page([*_HEAD, *table])])
    assert [line.net_amount for line in data.lines] == [Decimal("50.12"), Decimal("19.49")]
    assert (data.total_net, data.total_tax, data.amount_due) == (Decimal("69.61"), Decimal("4.18"), Decimal("73.79"))
    assert not reasons and data.confidence["total_tax"] >= 0.95
