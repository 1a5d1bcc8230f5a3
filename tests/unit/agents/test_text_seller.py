"""The seller's name is only sure when the document ties it to the seller more than once."""

from __future__ import annotations

from _lines import page as _page

from agents.readers.text_reader import read_text

_BODY: list[list[tuple[float, str]]] = [
    [(350, "Invoice number"), (450, "INV-0042")],
    [(350, "Invoice date"), (450, "12.02.2025")],
    [(300, "Net total"), (450, "100.00")],
    [(300, "VAT 20%"), (450, "20.00")],
    [(300, "Total"), (450, "EUR 120.00")],
]
_FOOTER: list[list[tuple[float, str]]] = [
    [(150, "Harbour Tools Ltd · 5 Quay Street · Cork T12 X2F3")],
    [(150, "VAT IE6388047V · IBAN IE29AIBK93115212345678")],
]


def test_a_letterhead_name_repeated_in_the_footer_with_the_bank_account_is_sure() -> None:
    page = _page([[(50, "Harbour Tools Ltd")], [(50, "5 Quay Street")], *_BODY, *_FOOTER], gap=30)
    data, _ = read_text([page])
    assert data.seller.name == "Harbour Tools Ltd"
    assert data.confidence["seller.name"] >= 0.9


def test_a_letterhead_name_alone_stays_medium() -> None:
    page = _page([[(50, "Harbour Tools Ltd")], [(50, "5 Quay Street")], *_BODY])
    data, _ = read_text([page])
    assert data.seller.name == "Harbour Tools Ltd"
    assert data.confidence["seller.name"] < 0.85  # a guess from the layout: a person confirms it


def test_a_buyer_printed_first_is_never_a_sure_seller() -> None:
    # the seller's letterhead is an image: the first company on the page is the buyer's address block
    page = _page([
        [(50, "Metallbau Schmidt GmbH")], [(50, "Musterweg 1")], [(50, "10115 Berlin")],
        [(50, "USt-IdNr. DE136695976")], *_BODY, *_FOOTER,
    ], gap=30)
    data, _ = read_text([page])
    if data.seller.name != "Harbour Tools Ltd":
        assert data.confidence.get("seller.name", 0.0) < 0.85


def test_a_labelled_seller_block_holding_its_vat_id_is_sure() -> None:
    page = _page([
        [(50, "Seller:")], [(50, "Harbour Tools Ltd")], [(50, "5 Quay Street")], [(50, "VAT IE6388047V")],
        [], [(50, "Bill to:")], [(50, "Metallbau Schmidt GmbH")], [(50, "Musterweg 1")], [(50, "10115 Berlin")],
        *_BODY,
    ])
    data, _ = read_text([page])
    assert (data.seller.name, data.seller.vat_id) == ("Harbour Tools Ltd", "IE6388047V")
    assert data.confidence["seller.name"] >= 0.95 and data.buyer.name == "Metallbau Schmidt GmbH"
