"""`examples.jsonl`: the operator's way to hand labelled examples to `invoiceflow train`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.errors import ConfigError
from streams.training import JsonlExamples


async def test_examples_are_read_with_their_documents_and_filtered_by_vendor(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF-a")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-b")
    polygon = [0.1, 0.1, 0.2, 0.1, 0.2, 0.2, 0.1, 0.2]
    lines = [{"document": "a.pdf", "vendor": "de 1", "fields": {"invoice_number": "R-1", "total_incl_vat": 9.5},
              "positions": {"invoice_number": {"page": 2, "polygon": polygon}}},
             {"document": "b.pdf", "vendor": "DE2", "fields": {"invoice_number": "R-2"}}]
    (tmp_path / "examples.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    source = JsonlExamples(tmp_path)
    assert [e.name for e in await source.examples("t", None)] == ["a.pdf", "b.pdf"]
    (only,) = await source.examples("t", "DE1")
    assert only.content == b"%PDF-a" and only.fields == {"invoice_number": "R-1", "total_incl_vat": "9.5"}
    assert only.positions["invoice_number"].page == 2 and only.positions["invoice_number"].polygon == tuple(polygon)


async def test_a_bad_line_names_itself(tmp_path: Path) -> None:
    (tmp_path / "examples.jsonl").write_text(json.dumps({"document": "missing.pdf", "fields": {}}) + "\n")
    with pytest.raises(ConfigError, match=r"examples\.jsonl line 1"):
        await JsonlExamples(tmp_path).examples("t", None)
    with pytest.raises(ConfigError, match=r"no examples\.jsonl"):
        await JsonlExamples(tmp_path / "nowhere").examples("t", None)
