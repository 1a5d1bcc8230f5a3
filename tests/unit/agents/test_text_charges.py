"""BT-106 / BT-107 / BT-108 in text invoices: subtotal, allowances and charges reconciled with the net total."""

from __future__ import annotations

from decimal import Decimal

from _lines import page

from agents.readers.text_charges import Adjustment, reachable_nets, reconcile
from agents.readers.text_reader import read_text

D = Decimal


_page = page


_HEAD: list[list[tuple[float, str]]] = [
    [(50, "Nordwind Handel GmbH")],
    [(50, "Hafenweg 3"), (350, "Rechnungsnummer"), (450, "RE-2024-118")],
    [(50, "20457 Hamburg"), (350, "Rechnungsdatum"), (450, "14.03.2024")],
    [],
    [(50, "Pos"), (80, "Bezeichnung"), (250, "Menge"), (320, "Einzelpreis"), (450, "Betrag")],
    [(50, "1"), (80, "Schrauben"), (250, "10"), (320, "5,00"), (450, "50,00")],
    [(50, "2"), (80, "Muttern"), (250, "20"), (320, "2,50"), (450, "50,00")],
]


def test_a_discount_between_the_subtotal_and_the_net_becomes_bt107() -> None:
    page = _page([
        *_HEAD,
        [(300, "Zwischensumme"), (450, "100,00")],
        [(300, "Rabatt 5 %"), (450, "-5,00")],
        [(300, "Nettobetrag"), (450, "95,00")],
        [(300, "USt. 19 %"), (450, "18,05")],
        [(300, "Gesamtbetrag"), (450, "113,05 EUR")],
    ])
    data, reasons = read_text([page])
    assert reasons == ()
    assert (data.line_net_total, data.allowance_total, data.charge_total) == (D("100.00"), D("5.00"), None)
    assert (data.total_net, data.total_tax, data.total_incl_vat, data.amount_due) == (
        D("95.00"), D("18.05"), D("113.05"), D("113.05"))
    assert data.confidence["total_net"] >= 0.95 and data.confidence["line_net_total"] >= 0.95


def test_a_freight_charge_becomes_bt108_and_a_cash_discount_is_ignored() -> None:
    page = _page([
        *_HEAD,
        [(300, "Zwischensumme"), (450, "100,00")],
        [(300, "Frachtkosten"), (450, "12,00")],
        [(300, "Nettobetrag"), (450, "112,00")],
        [(300, "USt. 19 %"), (450, "21,28")],
        [(300, "Gesamtbetrag"), (450, "133,28 EUR")],
        [(50, "Skonto 2 % bei Zahlung binnen 10 Tagen: 2,67")],
    ])
    data, _ = read_text([page])
    assert (data.line_net_total, data.allowance_total, data.charge_total) == (D("100.00"), None, D("12.00"))
    assert data.total_net == D("112.00")


def test_the_net_total_is_not_taken_from_the_subtotal_before_a_discount() -> None:
    # no net label: the subtotal is offered as the net, but net + VAT = total picks the discounted amount
    page = _page([
        *_HEAD,
        [(300, "Subtotal"), (450, "100.00")],
        [(300, "Discount"), (450, "-10.00")],
        [(300, "Total excl. VAT"), (450, "90.00")],
        [(300, "VAT 20%"), (450, "18.00")],
        [(300, "Total"), (450, "EUR 108.00")],
    ])
    data, _ = read_text([page])
    assert data.total_net == D("90.00") and data.line_net_total == D("100.00")
    assert data.allowance_total == D("10.00")


def test_a_subtotal_that_is_the_net_total_needs_no_adjustment() -> None:
    page = _page([
        *_HEAD,
        [(300, "Subtotal"), (450, "100.00")],
        [(300, "VAT 20%"), (450, "20.00")],
        [(300, "Total"), (450, "EUR 120.00")],
    ])
    data, reasons = read_text([page])
    assert reasons == ()
    assert (data.total_net, data.line_net_total, data.allowance_total) == (D("100.00"), D("100.00"), None)
    assert data.confidence["total_net"] >= 0.95


def test_lines_that_do_not_lead_to_the_net_are_reported_not_hidden() -> None:
    page = _page([
        *_HEAD,
        [(300, "Nettobetrag"), (450, "97,00")],
        [(300, "USt. 19 %"), (450, "18,43")],
        [(300, "Gesamtbetrag"), (450, "115,43 EUR")],
    ])
    data, reasons = read_text([page])
    assert "text_lines_mismatch" in {r.code for r in reasons}
    assert data.line_net_total == D("100.00") and data.allowance_total is None
    assert data.confidence["line_net_total"] < 0.5


def test_reconcile_prefers_the_fewest_adjustments_and_a_printed_summed_subtotal() -> None:
    items = [Adjustment(D("5.00"), False, 10), Adjustment(D("2.00"), True, 11), Adjustment(D("3.00"), False, 12)]
    basis = reconcile(D("95.00"), D("100.00"), [D("100.00")], items)
    assert basis is not None
    assert (basis.line_total, basis.allowances, basis.charges) == (D("100.00"), D("5.00"), D("0"))
    assert basis.printed and basis.summed
    two = reconcile(D("99.00"), D("100.00"), [], items)  # 100 - 3 + 2
    assert two is not None and (two.allowances, two.charges) == (D("3.00"), D("2.00")) and not two.printed
    assert reconcile(D("42.00"), D("100.00"), [], items) is None


def test_allowances_shrink_a_negative_line_total() -> None:
    # a correcting invoice: lines -7,90, allowance 0,23, net -7,67 (BT-107 keeps the sign of the lines)
    basis = reconcile(D("-7.67"), None, [D("-7.90")], [Adjustment(D("0.23"), False, 5)])
    assert basis is not None and basis.allowances == D("-0.23")
    assert D("-7.67") in reachable_nets([D("-7.90")], [Adjustment(D("0.23"), False, 5)])
