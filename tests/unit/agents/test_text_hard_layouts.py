"""The text reader on the layouts of the hard family: tables with a per-line VAT column, parties, dates, money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from _lines import page

from agents.readers.pdf_text import Word, line_from_words
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


_TOTALS = [[(330, "Net total"), (480, "100.00")], [(330, "VAT 20%"), (480, "20.00")],
           [(330, "Total"), (480, "€120.00")]]
_META = [[(350, "Invoice No."), (450, "INV-0042")], [(350, "Issued on"), (450, "3 August 2014")]]
_BILL_SHIP = [
    [(50, "Bill to"), (300, "Ship to")],
    [(50, "Metallbau Schmidt GmbH"), (300, "Lagerhaus Nord KG")],
    [(50, "Musterweg 1"), (300, "Hafenstraße 9")],
    [(50, "10115 Berlin"), (300, "20457 Hamburg")],
    [(50, "USt-IdNr.: DE136695976")],
]


def _footer(name: str) -> list[list[tuple[float, str]]]:
    return [[(50, f"{name} · 5 Quay Street · Cork T12 X2F3")],
            [(50, "Bank details: IBAN IE29AIBK93115212345678 · VAT IE6388047V")]]


def test_a_seller_named_only_in_the_footer_beside_its_bank_account_is_found_and_trusted() -> None:
    data, _ = read_text([page([[(50, "INVOICE")], *_META, *_BILL_SHIP, *_TOTALS, *_footer("Harbour Tools Ltd")],
                              gap=30)])
    assert data.seller.name == "Harbour Tools Ltd" and data.confidence["seller.name"] >= 0.8
    assert data.buyer.name == "Metallbau Schmidt GmbH"  # bill-to, not ship-to
    assert data.issue_date is not None and data.issue_date.isoformat() == "2014-08-03"
    assert data.confidence["issue_date"] >= 0.9 and data.currency == "EUR"


def test_a_letterhead_brand_or_capitals_take_the_name_the_footer_signs_with() -> None:
    notes = [[(50, f"Delivery note DN-{i} of 2 August 2014")] for i in range(4)]  # the footer is far down page one
    for letterhead in ("HARBOUR TOOLS", "HARBOUR TOOLS LTD"):
        rows = [[(50, letterhead)], [(50, "INVOICE")], *_META, *_BILL_SHIP, *notes, *_TOTALS,
                *_footer("Harbour Tools Ltd")]
        data, _ = read_text([page(rows, gap=30)])
        assert data.seller.name == "Harbour Tools Ltd", letterhead


def test_a_bank_named_in_the_footer_is_not_the_seller() -> None:
    footer = [[(50, "Bankverbindung: Deutsche Bank AG · IBAN IE29AIBK93115212345678")],
              [(50, "Geschäftsführer: Max Muster")]]
    data, _ = read_text([page([[(50, "RECHNUNG")], *_META, *_BILL_SHIP, *_TOTALS, *footer], gap=30)])
    assert data.seller.name != "Deutsche Bank AG"
    assert data.confidence.get("seller.name", 0.0) < 0.8


def test_two_companies_neither_tied_to_the_seller_twice_go_to_a_person() -> None:
    # a company at the top (the buyer's window, no heading) and another signing the footer: doubt, not a guess
    top = [[(50, "Metallbau Schmidt GmbH")], [(50, "Musterweg 1")], [(50, "10115 Berlin")]]
    data, _ = read_text([page([*top, *_META, *_TOTALS, *_footer("Harbour Tools Ltd")], gap=30)])
    assert data.seller.name == "Harbour Tools Ltd" and data.confidence["seller.name"] < 0.8


def test_an_inline_bill_to_keeps_the_legal_forms_last_dot() -> None:
    rows = [[(50, "ACME GMBH")], [(50, "Bill to: Romero Distribuciones S.L.")], [(50, "Calle Mayor, 5")],
            [(50, "28001 Madrid")], *_META, *_TOTALS, *_footer("Acme GmbH")]
    data, _ = read_text([page(rows, gap=30)])
    assert data.buyer.name == "Romero Distribuciones S.L."
    assert data.seller.name == "Acme GmbH"


@pytest.mark.parametrize(("label", "value", "iso"), [
    ("Issued on", "August 3, 2014", "2014-08-03"), ("Ausgestellt am", "3. März 2014", "2014-03-03"),
    ("Facture du", "1er août 2014", "2014-08-01"), ("Emessa il", "3 agosto 2014", "2014-08-03"),
    ("Expedida el", "3 de agosto de 2014", "2014-08-03"), ("Uitgiftedatum", "3 augustus 2014", "2014-08-03"),
])
def test_long_dates_after_the_issue_labels_of_six_languages(label: str, value: str, iso: str) -> None:
    rows = [[(50, "INVOICE")], [(350, "Invoice No."), (450, "INV-0042")], [(350, label), (450, value)],
            [(350, "Due date"), (450, "2014-12-31")], *_TOTALS]
    data, _ = read_text([page(rows)])
    assert data.issue_date is not None and data.issue_date.isoformat() == iso
    assert data.confidence["issue_date"] >= 0.9


def test_a_date_wider_than_its_column_header_is_read_whole() -> None:
    rows = [[(50, "FATTURA")], [(50, "Numero"), (150, "Data fattura"), (260, "Scadenza"), (330, "Valuta")],
            [(50, "178/2026"), (150, "30 novembre 2026"), (260, "30 dicembre 2026"), (360, "GBP")], *_TOTALS]
    data, _ = read_text([page(rows)])
    assert data.due_date is not None and data.due_date.isoformat() == "2026-12-30"
    assert data.issue_date is not None and data.issue_date.isoformat() == "2026-11-30"


@pytest.mark.parametrize(("amounts", "iban", "code"), [
    (("113 657,68 kr", "28 351,86 kr", "142 009,54 kr"), "SE4550000000058398257466", "SEK"),
    (("113 657,68 kr", "28 351,86 kr", "142 009,54 kr"), "DK5000400440116243", "DKK"),
    (("£7 419,86", "£1 483,97", "£8 903,83"), "FR1420041010050500013M02606", "GBP"),
])
def test_the_currency_from_symbols_and_the_sellers_country(amounts: tuple[str, str, str], iban: str,
                                                           code: str) -> None:
    net, vat, total = amounts
    rows = [[(50, "INVOICE")], *_META, [(330, "Net total"), (480, net)], [(330, "VAT 25%"), (480, vat)],
            [(330, "Total"), (480, total)], [(50, f"IBAN {iban}")]]
    data, _ = read_text([page(rows)])
    assert data.currency == code and data.confidence["currency"] >= 0.9


def test_kronor_without_a_country_to_say_whose_are_no_currency() -> None:
    rows = [[(50, "INVOICE")], *_META, [(330, "Net total"), (480, "100,00 kr")], [(330, "VAT 25%"), (480, "25,00 kr")],
            [(330, "Total"), (480, "125,00 kr")]]
    data, _ = read_text([page(rows)])
    assert data.currency is None


def test_vat_rows_with_the_rate_first_add_up_to_the_vat_total() -> None:
    rows = [[(50, "INVOICE")], *_META, [(330, "Subtotal"), (480, "€ 12,691.36")],
            [(330, "19% VAT"), (480, "€ 2,231.47")], [(330, "7% VAT"), (480, "€ 66.27")],
            [(330, "Invoice total"), (480, "€ 14,989.10")]]
    data, reasons = read_text([page(rows)])
    assert (data.total_net, data.total_tax, data.amount_due) == (
        Decimal("12691.36"), Decimal("2297.74"), Decimal("14989.10"))
    assert not reasons and data.confidence["total_tax"] >= 0.95


def test_vat_per_rate_adds_up_even_without_a_total_label() -> None:
    rows = [[(50, "FACTURE")], [(350, "Facture no"), (450, "FA-118")], [(350, "Date"), (450, "5 juin 2026")],
            [(330, "Base HT"), (480, "18 571,29 €")], [(330, "TVA à 20 %"), (480, "3 676,53 €")],
            [(330, "TVA à 5,5 %"), (480, "10,38 €")], [(330, "Net à payer"), (480, "22 258,20 €")]]
    data, reasons = read_text([page(rows)])
    assert (data.total_tax, data.amount_due) == (Decimal("3686.91"), Decimal("22258.20"))
    assert not reasons


def test_a_payee_line_names_the_seller_without_its_key() -> None:
    rows = [[(300, "Payable to: Harbour Tools Ltd")], [(300, "IBAN: IE29AIBK93115212345678")],
            [(50, "INVOICE")], *_META, *_BILL_SHIP, *_TOTALS]
    data, _ = read_text([page(rows)])
    assert data.seller.name == "Harbour Tools Ltd"


def test_a_row_of_keys_and_values_is_no_sentence() -> None:
    rows = [[(50, "INVOICE")], [(50, "Invoice no.: INV-0042 Invoice date: 3 August 2014 Due date: 2 September 2014 "
                                      "Currency: EUR")], *_TOTALS]
    data, _ = read_text([page(rows)])
    assert (data.invoice_number, str(data.issue_date), str(data.due_date)) == ("INV-0042", "2014-08-03", "2014-09-02")
    assert min(data.confidence[f] for f in ("invoice_number", "issue_date", "due_date")) >= 0.9


def test_an_unlabelled_total_under_the_table_is_not_one_more_line() -> None:
    table = [
        [(50, "Pos."), (90, "Descripción"), (260, "Cant."), (310, "Precio"), (480, "Importe")],
        [(50, "1"), (90, "Libros técnicos"), (260, "4"), (310, "43,24"), (480, "172,96")],
        [(330, "Base"), (480, "172,96")], [(330, "IVA 10%"), (480, "17,30")], [(330, "Total a pagar"), (480, "190,26")],
    ]
    data, reasons = read_text([page([*_HEAD, *table])])
    assert len(data.lines) == 1 and not reasons
    assert data.total_net == Decimal("172.96")  # no net label, but the lines' sum is printed and adds up
    assert data.confidence["total_net"] >= 0.95


def test_a_sidebar_company_over_its_own_iban_is_the_seller_beside_the_buyer_blocks() -> None:
    rows = [
        [(16, "Harbour Tools Ltd"), (170, "INVOICE")], [(16, "5 Quay Street")], [(16, "Cork T12 X2F3")],
        [(16, "VAT"), (170, "Bill to"), (370, "Ship to")],
        [(16, "IE6388047V"), (170, "Metallbau Schmidt GmbH"), (370, "Lagerhaus Nord KG")],
        [(16, "IBAN"), (170, "Musterweg 1"), (370, "Hafenstraße 9")],
        [(16, "IE29AIBK93115212345678"), (170, "10115 Berlin"), (370, "20457 Hamburg")],
        [(170, "Invoice No.: INV-0042")], [(170, "Invoice date: 3 August 2014")],
        *[[(x + 120, t) for x, t in row] for row in _TOTALS],
    ]
    data, _ = read_text([page(rows, size=8.0)])
    assert data.seller.name == "Harbour Tools Ltd" and data.confidence["seller.name"] >= 0.85
    assert data.buyer.name == "Metallbau Schmidt GmbH"


@pytest.mark.parametrize(("net_word", "total_word", "totals"), [
    ("Montant HT", "Total TTC", [[(330, "Total HT"), (480, "7 986,87 €")], [(330, "T.V.A. 20 %"), (480, "1 597,37 €")],
                                 [(330, "Net à payer"), (480, "9 584,24 €")]]),
    ("Importe", "Total", [[(330, "Importe neto"), (480, "7.986,87 €")], [(330, "I.V.A. 20%"), (480, "1.597,37 €")],
                          [(330, "Importe total"), (480, "9.584,24 €")]]),
])
def test_a_table_ending_with_each_lines_total_keeps_the_net_column(net_word: str, total_word: str,
                                                                   totals: list[list[tuple[float, str]]]) -> None:
    fr = net_word == "Montant HT"

    def n(text: str) -> str:
        return text if fr else text.replace(" ", ".")

    table = [
        [(50, "Réf."), (90, "Désignation"), (220, "Qté"), (260, "Prix"), (320, net_word), (380, "TVA %"),
         (420, "Taxe"), (480, total_word)],
        [(50, "1"), (90, "Tôle"), (220, "58"), (260, "5,61"), (320, "325,38"), (380, "20 %"), (420, "65,08"),
         (480, "390,46")],
        [(50, "2"), (90, "Revêtement"), (220, "92"), (260, "57,61"), (320, n("5 300,12")), (380, "20 %"),
         (420, n("1 060,02")), (480, n("6 360,14"))],
        [(50, "3"), (90, "Électricité"), (220, "5779"), (260, "0,41"), (320, n("2 361,37")), (380, "20 %"),
         (420, "472,27"), (480, n("2 833,64"))],
    ]
    rows = [[(50, "FACTURE")], [(350, "Facture n°"), (450, "FA-118")], [(350, "Date"), (450, "26 janvier 2025")],
            *table, *totals]
    data, reasons = read_text([page(rows, size=7.0)])
    assert [str(line.net_amount) for line in data.lines] == ["325.38", "5300.12", "2361.37"]
    assert (data.total_net, data.total_tax, data.amount_due) == (
        Decimal("7986.87"), Decimal("1597.37"), Decimal("9584.24"))
    assert not reasons


_WINDOW = [[(57, "Metallbau Schmidt GmbH")], [(57, "Musterweg 1")], [(57, "10115 Berlin")],
           [(57, "USt-IdNr.: DE136695976")]]


def test_the_return_address_line_above_the_window_is_the_sender() -> None:
    rows = [[(350, "Rechnungsnr."), (450, "RE-0042")], [(350, "Rechnungsdatum"), (450, "3. März 2014")], [],
            *_WINDOW, [(57, "Warenempfänger")], [(57, "Lagerhaus Nord KG")], [(57, "Hafenstraße 9")],
            [(57, "20457 Hamburg")], *_TOTALS, [(50, "Bankverbindung: IBAN IE29AIBK93115212345678")],
            [(450, "Seite 1 von 1")]]
    words, x = [], 57.0
    sender = ("Harbour", "Tools", "Ltd", "·", "Hafenweg", "5", "·", "20457", "Hamburg")
    for token in sender:  # 6 pt, just above the window
        words.append(Word(x, 85.0, x + 3.0 * len(token), 91.0, token))
        x += 3.0 * (len(token) + 1)
    data, _ = read_text([(*page(rows, gap=30), line_from_words(0, words))])
    assert data.seller.name == "Harbour Tools Ltd" and data.confidence["seller.name"] >= 0.85
    assert data.buyer.name == "Metallbau Schmidt GmbH"  # the window, not the ship-to block under it


def test_a_seller_named_only_on_the_payment_page_is_found_over_the_addressee() -> None:
    first = page([[(50, "harbour tools")], [(350, "Invoice No."), (450, "INV-0042")],
                  [(350, "Invoice date"), (450, "3 August 2014")], *_WINDOW, *_TOTALS, [(50, "Thank you.")],
                  [(450, "Page 1 of 2")]], gap=30)
    second = page([[(50, "Bank details")], [(50, "Harbour Tools Ltd")], [(50, "5 Quay Street")],
                   [(50, "Cork T12 X2F3")], [(50, "Ireland")], [(50, "VAT: IE6388047V")],
                   [(50, "IBAN: IE29AIBK93115212345678")], [(50, "BIC: AIBKIE2D")]])
    data, _ = read_text([first, tuple(line_from_words(1, list(ln.words)) for ln in second)])
    assert data.seller.name == "Harbour Tools Ltd" and data.confidence["seller.name"] >= 0.8
    assert data.buyer.name == "Metallbau Schmidt GmbH"


def test_a_vat_id_alone_does_not_make_the_buyer_the_signer() -> None:
    rows = [[(50, "INVOICE")], *_META, *_WINDOW, *_TOTALS]
    data, _ = read_text([page(rows)])
    assert data.confidence.get("seller.name", 0.0) < 0.8  # only the buyer's block and its VAT id: doubt


def test_an_unlabelled_net_under_the_lines_picks_the_net_column_of_a_table_with_each_lines_total() -> None:
    # the net column is not the rightmost ("Importe ... Impuesto ... Total"); the net row has no label the reader
    # knows, and only an amount-due label closes the totals: the lines still lead to the net, nothing is guessed
    table = [
        [(50, "Pos."), (100, "Descripción"), (230, "Cant."), (270, "Precio"), (330, "Importe"), (390, "IVA %"),
         (440, "Impuesto"), (510, "Total")],
        [(50, "1"), (100, "Agua"), (230, "25"), (270, "0.80"), (330, "19.90"), (390, "10%"), (440, "1.99"),
         (510, "21.89")],
        [(50, "2"), (100, "Trabajos"), (230, "8"), (270, "62.36"), (330, "498.88"), (390, "21%"), (440, "104.76"),
         (510, "603.64")],
        [(300, "Base"), (500, "CHF 518.78")],
        [(300, "IVA 21%"), (500, "CHF 104.76")],
        [(300, "IVA 10%"), (500, "CHF 1.99")],
        [(300, "Total a pagar"), (500, "CHF 625.53")],
    ]
    head = [[(50, "Factura")], [(350, "Factura no."), (460, "F-118")], [(350, "Fecha"), (460, "5 de junio de 2026")]]
    data, reasons = read_text([page([*head, *table])])
    assert [line.net_amount for line in data.lines] == [Decimal("19.90"), Decimal("498.88")]
    assert (data.total_net, data.total_tax, data.amount_due) == (Decimal("518.78"), Decimal("106.75"),
                                                                 Decimal("625.53"))
    assert not reasons


def test_with_only_an_amount_due_the_net_follows_from_it_and_the_vat() -> None:
    rows = [[(50, "Factura")], [(350, "Factura no."), (460, "F-118")], [(350, "Fecha"), (460, "5 de junio de 2026")],
            [(300, "IVA 21%"), (500, "104,76 €")], [(300, "IVA 10%"), (500, "1,99 €")],
            [(300, "Total a pagar"), (500, "625,53 €")]]
    data, _ = read_text([page(rows)])
    assert (data.total_net, data.total_tax, data.total_incl_vat) == (Decimal("518.78"), Decimal("106.75"),
                                                                     Decimal("625.53"))
    assert data.confidence["total_net"] < 0.8  # derived, not read


def test_a_letterhead_name_its_email_spells_is_trusted_and_the_title_run_into_it_is_dropped() -> None:
    rows = [[(50, "LINEA BÜROTECHNIK GMBH & CO. KG Rechnung")], [(50, "paul@lineaburotechnik.de")],
            [(350, "Rechnungs-Nr."), (450, "INV-0042")], [(350, "Ausgestellt am"), (450, "22. Dezember 2025")],
            [(50, "Rechnungsempfänger: Rheinlog BV")], [(50, "121 avenue du Moulin")], [(50, "3190 Leuven")],
            *_TOTALS]
    data, _ = read_text([page(rows)])
    assert data.seller.name == "LINEA BÜROTECHNIK GMBH & CO. KG" and data.confidence["seller.name"] >= 0.9


def test_an_email_that_spells_another_name_ties_nothing() -> None:
    rows = [[(50, "Metallbau Schmidt GmbH")], [(50, "Musterweg 1")], [(50, "10115 Berlin")],
            [(50, "info@harbourtools.ie")], *_META, *_TOTALS]
    data, _ = read_text([page(rows)])
    assert data.confidence.get("seller.name", 0.0) < 0.8
