"""The training set in Document Intelligence's own layout, built from labelled examples and their layouts.

For each document the service expects, beside it in the container: `<doc>.ocr.json`, the prebuilt-layout
operation's answer for it, and `<doc>.labels.json`, each labelled field's text and where it is (polygons
normalised to the page, from the layout's words); and one `fields.json` naming every field and its type.
The schemas are the service's 2021-03-01 labelling formats. A value whose position the example did not carry
is found among the layout's words in the ways invoices print it (31.01.2026, 1.234,56...); one that cannot be
found is left unlabelled on that document and reported. All pure: no I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from streams.training.examples import TRAINABLE_FIELDS, FieldPosition, LabelledExample

FIELDS_SCHEMA = "https://schema.cognitiveservices.azure.com/formrecognizer/2021-03-01/fields.json"
LABELS_SCHEMA = "https://schema.cognitiveservices.azure.com/formrecognizer/2021-03-01/labels.json"
_EDGE_PUNCT = ",;:()[]"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """The files to upload (blob name -> bytes under the set's prefix) and what could not be labelled."""

    files: Mapping[str, bytes]
    documents: tuple[str, ...]
    fields: tuple[str, ...]
    unlabelled: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # document -> fields not found


def renderings(field_type: str, value: str) -> list[str]:
    """The ways an invoice may print a normalised value (its exact text first)."""
    out = [value]
    if field_type == "date":
        try:
            d = date.fromisoformat(value)
        except ValueError:
            return out
        out += [f"{d:%d.%m.%Y}", f"{d:%d/%m/%Y}", f"{d:%m/%d/%Y}", f"{d:%d-%m-%Y}", f"{d.day}.{d.month}.{d.year}"]
    elif field_type == "number":
        try:
            amount = Decimal(value).quantize(Decimal("0.01"))
        except InvalidOperation:
            return out
        plain = f"{amount:.2f}"
        grouped = f"{amount:,.2f}"
        out += [plain, grouped, plain.replace(".", ","), grouped.replace(",", " ").replace(".", ","),
                grouped.replace(",", "_").replace(".", ",").replace("_", ".")]
    return list(dict.fromkeys(out))


def _words(page: Mapping[str, Any]) -> list[tuple[str, list[float]]]:
    return [(str(w.get("content", "")).strip(_EDGE_PUNCT), list(w.get("polygon") or ())) for w in
            page.get("words") or () if len(w.get("polygon") or ()) == 8]


def _union(polygons: Sequence[Sequence[float]], width: float, height: float) -> tuple[float, ...]:
    xs = [p[i] / width for p in polygons for i in (0, 2, 4, 6)]
    ys = [p[i] / height for p in polygons for i in (1, 3, 5, 7)]
    left, top, right, bottom = min(xs), min(ys), max(xs), max(ys)
    return tuple(round(v, 6) for v in (left, top, right, top, right, bottom, left, bottom))


def locate(layout: Mapping[str, Any], texts: Sequence[str], last: bool = False) -> tuple[FieldPosition, str] | None:
    """Where one of `texts` is printed (as one word or up to three in a row), and the text found: the first
    place, or the last (a total is printed last of the amounts equal to it: lines and net come before)."""
    found: list[tuple[FieldPosition, str]] = []
    for page in layout.get("pages") or ():
        width, height = float(page.get("width") or 1), float(page.get("height") or 1)
        words = _words(page)
        for span in (1, 2, 3):
            for i in range(len(words) - span + 1):
                run = words[i:i + span]
                text = " ".join(w for w, _ in run)
                if text in texts:
                    found.append((FieldPosition(int(page.get("pageNumber", 1)),
                                                _union([p for _, p in run], width, height)), text))
        if found and not last:
            return found[0]
    return found[-1] if found else None


def fields_json(names: Sequence[str]) -> dict[str, Any]:
    """`fields.json`: every labelled field, by its service key and type."""
    return {
        "$schema": FIELDS_SCHEMA,
        "fields": [{"fieldKey": TRAINABLE_FIELDS[n][0], "fieldType": TRAINABLE_FIELDS[n][1],
                    "fieldFormat": "not-specified"} for n in names],
        "definitions": {},
    }


def ocr_json(layout: Mapping[str, Any], when: str) -> dict[str, Any]:
    """`<doc>.ocr.json`: the layout operation's answer as the service returned it."""
    return {"status": "succeeded", "createdDateTime": when, "lastUpdatedDateTime": when,
            "analyzeResult": dict(layout)}


def labels_json(document: str, example: LabelledExample,
                layout: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """`<doc>.labels.json` for one example, and the fields whose value could not be placed."""
    labels: list[dict[str, Any]] = []
    missing: list[str] = []
    for name, value in sorted(example.fields.items()):
        if name not in TRAINABLE_FIELDS:
            continue
        key, kind = TRAINABLE_FIELDS[name]
        known = example.positions.get(name)
        found = (known, value) if known is not None else locate(layout, renderings(kind, value), kind == "number")
        if found is None:
            missing.append(name)
            continue
        position, text = found
        labels.append({"label": key, "value": [{"page": position.page, "text": text,
                                                "boundingBoxes": [list(position.polygon)]}]})
    return {"$schema": LABELS_SCHEMA, "document": document, "labels": labels}, tuple(missing)


def document_name(index: int, example: LabelledExample) -> str:
    """A blob-safe, unique name for the example's document."""
    return f"{index:04d}-{_SAFE_NAME.sub('_', example.name)[-80:] or 'document'}"


def build_training_set(items: Sequence[tuple[LabelledExample, Mapping[str, Any]]], when: str,
                       dumps: Any) -> TrainingSet:
    """Every file of the set: each document, its `.ocr.json` and `.labels.json`, and `fields.json`.

    Args:
        items: Each labelled example with its prebuilt-layout analyzeResult.
        when: The ISO time stamped in the `.ocr.json` files.
        dumps: JSON encoder to bytes (orjson.dumps).
    """
    files: dict[str, bytes] = {}
    names: list[str] = []
    used: set[str] = set()
    unlabelled: dict[str, tuple[str, ...]] = {}
    for index, (example, layout) in enumerate(items):
        name = document_name(index, example)
        labels, missing = labels_json(name, example, layout)
        files[name] = example.content or b""
        files[f"{name}.ocr.json"] = dumps(ocr_json(layout, when))
        files[f"{name}.labels.json"] = dumps(labels)
        used.update(n for n in example.fields if n in TRAINABLE_FIELDS and n not in missing)
        names.append(name)
        if missing:
            unlabelled[name] = missing
    ordered = tuple(n for n in TRAINABLE_FIELDS if n in used)
    files["fields.json"] = dumps(fields_json(ordered))
    return TrainingSet(files, tuple(names), ordered, unlabelled)
