"""The training set in the service's layout: labels placed on the layout's words, fields.json, ocr.json."""

from __future__ import annotations

import json

from streams.training import FieldPosition, LabelledExample, build_training_set, labels_json, locate, renderings
from streams.training.layout import FIELDS_SCHEMA, LABELS_SCHEMA

# one page, 10 x 20 inches: "Rechnung 1.234,56 ... Total 1.234,56" and a date
LAYOUT = {"pages": [{"pageNumber": 1, "width": 10.0, "height": 20.0, "words": [
    {"content": "Nr.", "polygon": [1, 1, 2, 1, 2, 2, 1, 2]},
    {"content": "R-77", "polygon": [3, 1, 5, 1, 5, 2, 3, 2]},
    {"content": "Datum:", "polygon": [1, 3, 2, 3, 2, 4, 1, 4]},
    {"content": "31.01.2026", "polygon": [3, 3, 5, 3, 5, 4, 3, 4]},
    {"content": "1.234,56", "polygon": [6, 8, 8, 8, 8, 9, 6, 9]},
    {"content": "Total", "polygon": [1, 18, 2, 18, 2, 19, 1, 19]},
    {"content": "1.234,56", "polygon": [6, 18, 8, 18, 8, 19, 6, 19]},
]}]}


def _example(**fields: str) -> LabelledExample:
    return LabelledExample("a.pdf", "DE1", fields, content=b"%PDF-1.7 x")


def test_values_are_looked_for_as_invoices_print_them() -> None:
    assert "31.01.2026" in renderings("date", "2026-01-31")
    assert {"1.234,56", "1,234.56", "1234.56"} <= set(renderings("number", "1234.56"))
    assert renderings("string", "R-77") == ["R-77"]


def test_a_total_is_placed_on_its_last_printing_and_a_number_on_its_first() -> None:
    first = locate(LAYOUT, ["1.234,56"])
    last = locate(LAYOUT, ["1.234,56"], last=True)
    assert first is not None and first[0].polygon[1] == 8 / 20
    assert last is not None and last[0].polygon == (0.6, 0.9, 0.8, 0.9, 0.8, 0.95, 0.6, 0.95)


def test_labels_use_the_services_keys_and_normalised_boxes_and_report_what_is_missing() -> None:
    example = _example(invoice_number="R-77", issue_date="2026-01-31", total_incl_vat="1234.56",
                       seller_vat_id="DE999", buyer_name="not trainable")
    labels, missing = labels_json("0000-a.pdf", example, LAYOUT)
    assert labels["$schema"] == LABELS_SCHEMA and labels["document"] == "0000-a.pdf"
    by_key = {lab["label"]: lab["value"][0] for lab in labels["labels"]}
    assert set(by_key) == {"InvoiceId", "InvoiceDate", "InvoiceTotal"}
    assert by_key["InvoiceDate"] == {"page": 1, "text": "31.01.2026",
                                     "boundingBoxes": [[0.3, 0.15, 0.5, 0.15, 0.5, 0.2, 0.3, 0.2]]}
    assert by_key["InvoiceTotal"]["boundingBoxes"][0][1] == 0.9
    assert missing == ("seller_vat_id",)


def test_a_known_position_is_used_as_given() -> None:
    where = FieldPosition(2, (0.1, 0.1, 0.2, 0.1, 0.2, 0.2, 0.1, 0.2))
    example = LabelledExample("a.pdf", "DE1", {"seller_vat_id": "DE999"}, positions={"seller_vat_id": where})
    labels, missing = labels_json("d", example, LAYOUT)
    assert missing == () and labels["labels"][0]["value"][0]["page"] == 2


def test_the_set_has_each_document_with_its_ocr_and_labels_and_one_fields_json() -> None:
    items = [(_example(invoice_number="R-77"), LAYOUT), (_example(invoice_number="R-77", total_incl_vat="9"), LAYOUT)]
    tset = build_training_set(items, "2026-12-03T10:00:00Z", lambda o: json.dumps(o).encode())
    assert tset.documents == ("0000-a.pdf", "0001-a.pdf")
    assert set(tset.files) == {"fields.json", "0000-a.pdf", "0000-a.pdf.ocr.json", "0000-a.pdf.labels.json",
                               "0001-a.pdf", "0001-a.pdf.ocr.json", "0001-a.pdf.labels.json"}
    fields = json.loads(tset.files["fields.json"])
    assert fields["$schema"] == FIELDS_SCHEMA
    assert fields["fields"] == [{"fieldKey": "InvoiceId", "fieldType": "string", "fieldFormat": "not-specified"}]
    ocr = json.loads(tset.files["0000-a.pdf.ocr.json"])
    assert ocr["status"] == "succeeded" and ocr["analyzeResult"] == LAYOUT
    assert tset.unlabelled == {"0001-a.pdf": ("total_incl_vat",)}
