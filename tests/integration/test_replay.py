"""`invoiceflow replay STAGE` (the alias of `dlq replay`): after the cause is fixed, the invoice is scored;
a filtered replay that matched nothing marks nothing done; what is not a dead letter is passed over."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from config.settings import Settings
from streams.admin import ensure_topics
from streams.cli import main
from streams.deadletters import view_of
from streams.dlq import ReplayOptions, Selection, replay
from streams.publisher import received_for_file
from tests.integration.kafka_helpers import collect, produce
from tools.samples import generate_samples

pytestmark = pytest.mark.integration


async def test_replay_after_the_missing_file_is_restored(settings: Settings, worker_factory, tmp_path: Path,
                                                         run_id: str) -> None:
    rows = generate_samples(tmp_path / "src", 2, formats=("ubl",), seed=9)
    doc = tmp_path / "src" / str(rows[0]["file"])
    ev = received_for_file(doc, f"replay-{run_id}", settings)
    moved = tmp_path / "elsewhere.xml"
    shutil.move(doc, moved)  # the reference now points at nothing
    worker_factory()
    p = settings.topic_prefix
    await produce(settings, f"{p}invoices.received", [(ev.invoice_id.encode(), ev.model_dump_json().encode())])
    dlq = await collect(settings, f"{p}invoices.detect.dlq", lambda rs: len(rs) >= 1, 60)
    assert view_of(dlq[0]).reason == "document_missing"

    report = await replay(settings, Selection(("detect",), reason="decode_error"), ReplayOptions(operator="t"))
    assert (report.matched, report.replayed) == (0, 0)  # filtered out, and NOT marked done
    shutil.move(moved, doc)
    report = await replay(settings, Selection(("detect",)), ReplayOptions(operator="t"))
    assert report.replayed == 1
    scored = await collect(settings, f"{p}invoices.scored", lambda rs: len(rs) >= 1, 60)
    assert [r.key for r in scored] == [ev.invoice_id.encode()]
    again = await replay(settings, Selection(("detect",)), ReplayOptions(operator="t"))
    assert (again.replayed, again.already) == (0, 1)  # each dead letter is replayed once unless forced


async def test_a_record_that_is_not_a_dead_letter_does_not_stop_a_replay(
    settings: Settings, tmp_path: Path, run_id: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = generate_samples(tmp_path / "src", 1, formats=("ubl",), seed=10)
    ev = received_for_file(tmp_path / "src" / str(rows[0]["file"]), f"replay-{run_id}", settings)
    await ensure_topics(settings)
    p = settings.topic_prefix
    headers = [("kafka_dlt-original-topic", f"{p}invoices.received".encode()), ("x-invoiceflow-error", b"x"),
               ("x-invoiceflow-stage", b"detect")]
    await produce(settings, f"{p}invoices.detect.dlq", [(b"x", b"not an envelope"), (b"y", b'{"json": "but no"}')])
    await produce(settings, f"{p}invoices.detect.dlq", [(ev.invoice_id.encode(), ev.model_dump_json().encode())],
                  headers=headers)
    monkeypatch.setenv("INVOICEFLOW_TOPIC_PREFIX", p)
    assert await asyncio.to_thread(main, ["replay", "detect"]) == 0  # the alias, through the CLI
    out = capsys.readouterr().out
    assert "replayed 1 to" in out and "not replayable 2" in out
    back = await collect(settings, f"{p}invoices.received", lambda rs: len(rs) >= 1, 30)
    assert [r.key for r in back] == [ev.invoice_id.encode()]
    assert dict(back[0].headers)["x-invoiceflow-replays"] == b"1"
    assert "kafka_dlt-original-topic" not in dict(back[0].headers)  # dead-letter headers are not put back
