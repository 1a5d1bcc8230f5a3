"""`schemas export` writes a valid JSON Schema per event and an AsyncAPI 3.0 document of every topic."""

from __future__ import annotations

import json
from pathlib import Path

from config.settings import Settings
from config.topics import all_topics
from schemas import EVENT_TYPES
from streams.asyncapi import export_schemas


def test_export(tmp_path: Path) -> None:
    written = export_schemas(Settings(topic_prefix="x."), tmp_path)
    names = {p.name for p in written}
    assert names == {f"{m.__name__}.schema.json" for m in EVENT_TYPES} | {"asyncapi.json"}
    doc = json.loads((tmp_path / "asyncapi.json").read_text())
    assert doc["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {f"x.{s.name}" for s in all_topics(3)}
    assert "x.invoices.detect.retry.3" in addresses  # one retry topic per tier
    text = json.dumps(doc)
    for ref in [r for r in text.split('"$ref": "')[1:]]:
        target = ref.split('"')[0]
        node = doc
        for part in target.lstrip("#/").split("/"):
            node = node[part]  # every reference resolves
    scored = json.loads((tmp_path / "InvoiceScored.schema.json").read_text())
    assert "decision" in scored["required"] and scored["additionalProperties"] is False


def test_reviews_are_in_the_document_under_extraction_s_field_names(tmp_path: Path) -> None:
    export_schemas(Settings(topic_prefix="x."), tmp_path)
    doc = json.loads((tmp_path / "asyncapi.json").read_text())
    channel = doc["channels"]["invoices_reviewed"]
    assert channel["address"] == "x.invoices.reviewed" and list(channel["messages"]) == ["InvoiceReviewed"]
    corrections = doc["components"]["schemas"]["FieldCorrections"]
    assert {"seller.name", "amount_due", "issue_date"} <= set(corrections["properties"])
    assert corrections["additionalProperties"] is False
    reviewed = json.loads((tmp_path / "InvoiceReviewed.schema.json").read_text())
    assert set(reviewed["required"]) >= {"invoice_id", "tenant_id", "decision", "reviewer", "reviewed_at"}
