"""Document types from text, in six languages, title lines outweighing passing mentions."""

from __future__ import annotations

import pytest

from agents.readers.classify import classify_text, detect_language
from schemas import DocType

_BODY = "\nPos  Description  Qty  Amount\n1  Widget  2  20,00\nTotal  20,00\n"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("INVOICE", DocType.INVOICE),
        ("Rechnung", DocType.INVOICE),
        ("Handelsrechnung Nr. 471102 vom 05.03.2018", DocType.INVOICE),
        ("K O S T E N R E C H N U N G", DocType.INVOICE),
        ("Facture", DocType.INVOICE),
        ("Fattura", DocType.INVOICE),
        ("Factura", DocType.INVOICE),
        ("Factuur", DocType.INVOICE),
        ("Credit note", DocType.CREDIT_NOTE),
        ("Gutschrift", DocType.CREDIT_NOTE),
        ("Avoir", DocType.CREDIT_NOTE),
        ("Nota di credito", DocType.CREDIT_NOTE),
        ("Nota de crédito", DocType.CREDIT_NOTE),
        ("Creditnota", DocType.CREDIT_NOTE),
        ("Debit note", DocType.DEBIT_NOTE),
        ("Self-billed invoice", DocType.SELF_BILLED_INVOICE),
        ("Autofattura", DocType.SELF_BILLED_INVOICE),
        ("Purchase order", DocType.PURCHASE_ORDER),
        ("Bon de commande", DocType.PURCHASE_ORDER),
        ("Orden de compra", DocType.PURCHASE_ORDER),
        ("Auftragsbestätigung", DocType.ORDER_RESPONSE),
        ("Order confirmation", DocType.ORDER_RESPONSE),
        ("Lieferschein", DocType.DESPATCH_ADVICE),
        ("Pakbon", DocType.DESPATCH_ADVICE),
        ("Bon de livraison", DocType.DESPATCH_ADVICE),
        ("Albarán", DocType.DESPATCH_ADVICE),
        ("Zahlungserinnerung", DocType.REMINDER),
        ("Sollecito di pagamento", DocType.REMINDER),
        ("Statement of account", DocType.STATEMENT),
        ("Estratto conto", DocType.STATEMENT),
        ("Remittance advice", DocType.REMITTANCE_ADVICE),
        ("Avis de paiement", DocType.REMITTANCE_ADVICE),
        ("Receipt", DocType.RECEIPT),
        ("Quittung", DocType.RECEIPT),
        ("Quotation", DocType.OTHER),
        ("Angebot", DocType.OTHER),
    ],
)
def test_titles_in_six_languages(title: str, expected: DocType) -> None:
    doc_type, confidence = classify_text(f"{title}{_BODY}")
    assert doc_type is expected
    assert 0.35 <= confidence <= 0.99


def test_the_title_outweighs_mentions_in_the_body() -> None:
    text = (
        "Zahlungserinnerung\nSehr geehrte Damen und Herren,\n"
        "unsere Rechnung Nr. 123 vom 01.03.2026 ist noch offen.\nRechnung 124 ebenfalls.\n"
    )
    assert classify_text(text)[0] is DocType.REMINDER


def test_references_to_other_documents_are_not_titles() -> None:
    text = "Rechnung\nRechnungsnummer: 471102\nLieferschein-Nr: L-1\nBestellung: PO-9\nZahlbetrag 10,00\n"
    assert classify_text(text)[0] is DocType.INVOICE


def test_the_most_specific_type_on_a_line_wins() -> None:
    assert classify_text("Gutschrift (selbst ausgestellte Rechnung) Nr. 5")[0] is DocType.SELF_BILLED_INVOICE


def test_a_self_billed_title_refines_invoice_mentions_around_it() -> None:
    # a page header that says "invoices" above the title "Gutschrift (selbst ausgestellte Rechnung) (389)"
    text = (
        "Beispiel-Rechnungen 2024\nGutschrift (Selbst ausgestellte Rechnung) (389) Nr. 471102 vom 05.03.2018\n"
        "Rechnungsdatum 05.03.2018\nRechnungsbetrag 100,00\nRechnung gemäß Vertrag\n"
    )
    assert classify_text(text)[0] is DocType.SELF_BILLED_INVOICE
    assert classify_text("Gutschrift (selbst ausgestellt)\nNr. 5\nBetrag 10,00")[0] is DocType.SELF_BILLED_INVOICE
    # a plain invoice that mentions self-billing far down stays an invoice
    body = "Rechnung\nRechnungsnummer 1\n" + "Position\n" * 14 + "Kein Gutschriftsverfahren\n"
    assert classify_text(body)[0] is DocType.INVOICE


def test_empty_and_unnamed_texts() -> None:
    assert classify_text("") == (DocType.UNKNOWN, 0.0)
    assert classify_text("lorem ipsum dolor sit amet") == (DocType.OTHER, 0.3)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Invoice number 5, amount due, please pay the total", "en"),
        ("Rechnung Nummer 5, Betrag bitte zahlbar netto", "de"),
        ("Facture numéro 5, montant total TTC, TVA", "fr"),
        ("Fattura numero 5, importo totale, IVA, imponibile", "it"),
        ("Factura número 5, importe total, IVA, fecha de pago", "es"),
        ("Factuur nummer 5, totaal bedrag, BTW, te betalen", "nl"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_every_phrase_passes_the_quick_keyword_test() -> None:
    # the quick test only skips lines no phrase can match: each phrase, alone or inside a line, passes it
    from agents.readers.classify import _KEYWORDS, _any_keyword
    from agents.readers.labels import normalise

    quick = _any_keyword()
    for groups in _KEYWORDS.values():
        for phrases, _ in groups:
            for phrase in phrases.split("|"):
                text = normalise(phrase.rstrip("*"))
                assert quick.search(text) is not None, phrase
                assert quick.search(f"Handels{text}en 2026-01") is not None, phrase


def test_lines_the_quick_test_skips_match_no_phrase() -> None:
    from agents.readers.classify import _any_keyword, _patterns

    lines = ["pos  description  qty  amount", "1  widget  2  20,00", "iban de89 3704 0044 0532 0130 00",
             "total te betalen 20,00", "bonjour", "delivery-note nr 5", "r e c h n u n g", "statements"]
    for line in lines:
        if _any_keyword().search(line) is None:
            assert all(not pattern.findall(line) for _, pattern, _ in _patterns()), line


def test_language_ties_go_to_the_first_language_counted() -> None:
    assert detect_language("la") == "fr"  # French and Spanish both use "la": French is listed first
    assert detect_language("de") == "es"  # Spanish and Dutch both use "de": Spanish is listed first
    assert detect_language("xyz") is None
