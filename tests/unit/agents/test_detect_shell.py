"""The detect stage's shell: documents loaded and detected, digests claimed, duplicates routed, bad input routed."""

from __future__ import annotations

from pathlib import Path

from agents.detect import detect_agent
from config.settings import Settings
from schemas import DocumentDetected, Route
from streams.codecs import encode
from streams.errors import DocumentNotFound
from streams.fetch import DocumentFetcher
from streams.publisher import received_for_file
from streams.sinks.fakes import FakeDedupeIndex
from streams.stage import Inbound, Outbound
from tests.unit.agents._contexts import TestResources, stage_context
from tools.samples import generate_samples


class _Resources(TestResources):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.index = FakeDedupeIndex()
        self.documents = DocumentFetcher(settings)  # never used: every document here is a file

    async def dedupe(self) -> FakeDedupeIndex:
        return self.index

    def fetcher(self) -> DocumentFetcher:
        return self.documents


def _msg(value: bytes, offset: int) -> Inbound:
    return Inbound(b"k", value, [], "p.invoices.received", 0, offset, 0, [])


async def test_same_document_twice_is_routed_duplicate_but_a_redelivery_is_not(tmp_path: Path) -> None:
    settings = Settings(file_roots=(tmp_path,))
    rows = generate_samples(tmp_path, 1, formats=("ubl",), seed=1)
    doc = tmp_path / str(rows[0]["file"])
    first, again = received_for_file(doc, "t", settings), received_for_file(doc, "t", settings)
    other_tenant = received_for_file(doc, "u", settings)
    handle = detect_agent(stage_context(_Resources(settings)))
    missing = first.model_copy(update={"invoice_id": "gone", "document": first.document.model_copy(
        update={"uri": (tmp_path / "nope.xml").as_uri()})})
    batch = [_msg(encode(e), i) for i, e in enumerate((first, again, first, other_tenant, missing))]
    outcomes = await handle(batch)
    assert isinstance(outcomes[4], DocumentNotFound)
    routes = []
    for out in outcomes[:4]:
        assert isinstance(out, list) and isinstance(out[0], Outbound)
        routes.append(DocumentDetected.model_validate_json(out[0].value))
    assert [d.route for d in routes] == [Route.STRUCTURED, Route.DUPLICATE, Route.STRUCTURED, Route.STRUCTURED]
    assert routes[1].duplicate_of == first.invoice_id and routes[2].duplicate_of is None


async def test_a_file_of_several_invoices_gives_one_event_each_on_the_files_key(tmp_path: Path) -> None:
    settings = Settings(file_roots=(tmp_path,))
    rows = generate_samples(tmp_path, 12, formats=("fatturapa",), seed=2)
    row = next(r for r in rows if int(str(r["bodies"])) > 1)
    received = received_for_file(tmp_path / str(row["file"]), "t", settings)
    handle = detect_agent(stage_context(_Resources(settings)))
    (first,) = await handle([_msg(encode(received), 0)])
    (again,) = await handle([_msg(encode(received), 0)])  # the same record delivered twice
    assert isinstance(first, list) and isinstance(again, list)
    assert len(first) == int(str(row["bodies"])) and {o.key for o in first} == {b"k"}
    events = [DocumentDetected.model_validate_json(o.value) for o in first]
    assert [e.invoice_id for e in events] == [f"{received.invoice_id}#{n}" for n in range(1, len(events) + 1)]
    assert all(e.route is Route.STRUCTURED for e in events)
    redelivered = [DocumentDetected.model_validate_json(o.value) for o in again]
    assert [e.event_id for e in redelivered] == [e.event_id for e in events]  # downstream dedupes the replay
    assert all(e.route is Route.STRUCTURED for e in redelivered)  # the file's own claim, not a duplicate
