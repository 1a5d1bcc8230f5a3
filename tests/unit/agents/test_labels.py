"""Labels start where a word starts, after punctuation or "#", never inside a word."""

from __future__ import annotations

from agents.readers.labels import Field, find_labels


def test_labels_start_at_word_starts_only() -> None:
    assert [h.field for h in find_labels("(Invoice No.) 123")] == [Field.INVOICE_NUMBER]
    assert find_labels("Reinvoice 123") == ()
    assert find_labels("") == ()


def test_a_label_found_is_skipped_whole_and_the_next_one_found() -> None:
    hits = find_labels("Rechnungsnummer: 5  Rechnungsdatum: 01.02.2026")
    assert [(h.field, h.start) for h in hits] == [(Field.INVOICE_NUMBER, 0), (Field.ISSUE_DATE, 20)]
