"""Operators replay dead letters once the cause is fixed; the invoice is then scored."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from agents.samples import generate_samples
from config.settings import Settings
from schemas import DeadLetter
from streams.publisher import received_for_file
from streams.replay import replay_dead_letters
from tests.integration.kafka_helpers import collect, produce

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
    assert DeadLetter.model_validate_json(dlq[0].value).error_code == "document_missing"

    report = await replay_dead_letters(settings, "detect", error_code="decode_error")
    assert (report.replayed, report.skipped) == (0, 1)  # filtered out, and now marked done for this group
    shutil.move(moved, doc)
    report = await replay_dead_letters(settings, "detect", from_beginning=True)
    assert report.replayed == 1
    scored = await collect(settings, f"{p}invoices.scored", lambda rs: len(rs) >= 1, 60)
    assert [r.key for r in scored] == [ev.invoice_id.encode()]
    again = await replay_dead_letters(settings, "detect")
    assert again.replayed == 0  # each dead letter is replayed once unless asked again


async def test_a_record_that_is_not_a_dead_letter_does_not_stop_a_replay(settings: Settings, tmp_path: Path,
                                                                         run_id: str) -> None:
    from streams.admin import ensure_topics

    rows = generate_samples(tmp_path / "src", 1, formats=("ubl",), seed=10)
    ev = received_for_file(tmp_path / "src" / str(rows[0]["file"]), f"replay-{run_id}", settings)
    letter = DeadLetter(event_id="e1", stage="detect", source_topic="x", partition=0, offset=0,
                        key=ev.invoice_id, invoice_id=ev.invoice_id, tenant_id=ev.tenant_id,
                        error_code="document_missing", error_message="gone", retriable=False, attempts=1,
                        failed_at=ev.received_at,
                        payload_b64=base64.b64encode(ev.model_dump_json().encode()).decode(), headers={})
    await ensure_topics(settings)
    p = settings.topic_prefix
    await produce(settings, f"{p}invoices.detect.dlq", [(b"x", b"not an envelope"), (b"y", b'{"json": "but no"}'),
                                                        (ev.invoice_id.encode(), letter.model_dump_json().encode())])
    report = await replay_dead_letters(settings, "detect")
    assert (report.replayed, report.unreadable) == (1, 2)
    back = await collect(settings, f"{p}invoices.received", lambda rs: len(rs) >= 1, 30)
    assert [r.key for r in back] == [ev.invoice_id.encode()]
