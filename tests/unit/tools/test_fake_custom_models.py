"""The fake's custom models: how it checks a training set, what it learns, and how it reads with it."""

from __future__ import annotations

import json

import pytest

from tools.fake_azure._custom import BuildFailed, check_training_set, learn, read_with

WORDS = [  # an invoice line "Rechnungsnummer R-1", a buyer "USt-IdNr.: NL1" and a footer "USt-IdNr. DE9"
    {"content": "Rechnungsnummer", "polygon": [1, 1, 3, 1, 3, 1.2, 1, 1.2]},
    {"content": "R-1", "polygon": [4, 1, 5, 1, 5, 1.2, 4, 1.2]},
    {"content": "USt-IdNr.:", "polygon": [1, 3, 2, 3, 2, 3.2, 1, 3.2]},
    {"content": "NL1", "polygon": [2.5, 3, 3.5, 3, 3.5, 3.2, 2.5, 3.2]},
    {"content": "Summe", "polygon": [1, 6, 2, 6, 2, 6.2, 1, 6.2]},
    {"content": "1.234,56", "polygon": [5, 6, 6, 6, 6, 6.2, 5, 6.2]},
    {"content": "USt-IdNr.", "polygon": [1, 9, 2, 9, 2, 9.2, 1, 9.2]},
    {"content": "DE9", "polygon": [2.5, 9, 3.5, 9, 3.5, 9.2, 2.5, 9.2]},
]
PAGE = {"pageNumber": 1, "width": 10.0, "height": 10.0, "words": WORDS}


def _box(word: int) -> list[float]:
    return [v / 10 for v in WORDS[word]["polygon"]]


def _set(documents: int, *, fields: bool = True, skip_labels: str | None = None) -> dict[str, bytes]:
    labels = {"labels": [{"label": "InvoiceId", "value": [{"page": 1, "text": "R-1", "boundingBoxes": [_box(1)]}]},
                         {"label": "VendorTaxId", "value": [{"page": 1, "text": "DE9", "boundingBoxes": [_box(7)]}]},
                         {"label": "InvoiceTotal", "value": [{"page": 1, "text": "1.234,56",
                                                              "boundingBoxes": [_box(5)]}]}]}
    files: dict[str, bytes] = {}
    for i in range(documents):
        name = f"d{i}.pdf"
        files[name] = b"%PDF"
        files[f"{name}.ocr.json"] = json.dumps({"analyzeResult": {"pages": [PAGE]}}).encode()
        if name != skip_labels:
            files[f"{name}.labels.json"] = json.dumps(labels).encode()
    if fields:
        keys = [("InvoiceId", "string"), ("VendorTaxId", "string"), ("InvoiceTotal", "number")]
        files["fields.json"] = json.dumps({"fields": [{"fieldKey": k, "fieldType": t} for k, t in keys]}).encode()
    return files


@pytest.mark.parametrize(("files", "words"), [
    (_set(5, fields=False), "no fields.json"),
    (_set(5, skip_labels="d3.pdf"), "no .labels.json or .ocr.json for d3.pdf"),
    (_set(4), "at least 5 labelled documents are needed, found 4"),
])
def test_a_set_the_service_would_refuse_is_refused_with_its_reason(files: dict[str, bytes], words: str) -> None:
    with pytest.raises(BuildFailed) as refused:
        check_training_set(files)
    assert refused.value.inner == "TrainingContentMissing" and words in refused.value.message


def test_a_learned_model_reads_each_field_after_its_own_label_typed() -> None:
    model = learn("m1", "template", None, "2026-12-03T00:00:00Z", _set(5))
    assert model.fields["VendorTaxId"].anchors == frozenset({"USt-IdNr."})  # not the buyer's "USt-IdNr.:"
    read = read_with(model, [PAGE])
    assert read["InvoiceId"]["valueString"] == "R-1"
    assert read["VendorTaxId"]["valueString"] == "DE9"
    assert read["InvoiceTotal"]["valueNumber"] == 1234.56 and read["InvoiceTotal"]["type"] == "number"
    assert read_with(model, [{"pageNumber": 1, "width": 10.0, "height": 10.0, "words": WORDS[2:4]}]) == {}
