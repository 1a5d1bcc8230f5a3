"""Dead letters operators can trust, on the real Kafka, PostgreSQL and a real worker: replays terminate and
never loop, a filtered replay leaves what it did not match replayable, what was replayed is not replayed
twice, a dead letter is the original message untouched with Spring's `kafka_dlt-*` headers."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from config.settings import Settings
from schemas import InvoiceReceived
from streams.admin import ensure_topics, wait_for_workers
from streams.deadletters import view_of
from streams.dlq import ReplayOptions, Selection, list_dead_letters, replay
from streams.publisher import received_for_file
from tests.integration.kafka_helpers import collect, produce
from tests.integration.test_pipeline import _rows, _wait_for
from tools.samples import generate_samples

pytestmark = pytest.mark.integration

OPS = ReplayOptions(operator="test")


def _policy(path: Path, tenants: list[str]) -> None:
    """A policy that knows `tenants` and refuses every other (written atomically: the worker reloads it)."""
    listed = "".join(f"  {t}: {{}}\n" for t in tenants)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f'version: "{len(tenants)}"\nrefuse_unknown: true\ndefault: {{}}\ntenants:\n{listed}')
    tmp.replace(path)


def _events(tmp_path: Path, settings: Settings, tenant: str, count: int, seed: int) -> list[InvoiceReceived]:
    rows = generate_samples(tmp_path / f"docs-{seed}", count, formats=("ubl",), seed=seed)
    return [received_for_file(tmp_path / f"docs-{seed}" / str(r["file"]), tenant, settings) for r in rows]


async def _publish(settings: Settings, events: list[InvoiceReceived], extra: list[tuple[bytes, bytes]] = ()) -> None:
    await produce(settings, f"{settings.topic_prefix}invoices.received",
                  [(e.invoice_id.encode(), e.model_dump_json().encode()) for e in events] + list(extra))


async def _dead_letters(settings: Settings, count: int, timeout_s: float = 60) -> list:
    records = await collect(settings, f"{settings.topic_prefix}invoices.detect.dlq", lambda rs: len(rs) >= count,
                            timeout_s)
    assert len(records) == count, f"{len(records)} dead letters, expected {count}"
    return records


async def test_a_replay_that_fails_again_terminates_with_one_new_dead_letter_and_is_refused_after_three(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str
) -> None:
    [ev] = _events(tmp_path, settings, f"loop-{run_id}", 1, seed=41)
    (tmp_path / "docs-41" / "ubl").rename(tmp_path / "gone")  # the cause is never fixed
    worker_factory()
    await wait_for_workers(settings)
    await _publish(settings, [ev])
    await _dead_letters(settings, 1)
    for n in (1, 2, 3):
        report = await asyncio.wait_for(replay(settings, Selection(("detect",)), OPS), 60)
        assert (report.replayed, report.already, len(report.refused)) == (1, n - 1, 0)
        records = await _dead_letters(settings, n + 1)
        newest = max((view_of(r) for r in records), key=lambda v: v.replays)
        assert newest.replays == n and newest.reason == "document_missing"  # one new dead letter, count + 1
    report = await replay(settings, Selection(("detect",)), OPS)
    assert report.replayed == 0 and [inv for _, inv, _ in report.refused] == [ev.invoice_id]
    await asyncio.sleep(2)
    await _dead_letters(settings, 4)  # nothing more: the refused one was not put back


async def test_filtered_replays_leave_what_they_did_not_match_replayable(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str
) -> None:
    known, newcomer = f"known-{run_id}", f"new-{run_id}"
    policy = tmp_path / "policy.yaml"
    _policy(policy, [known])
    missing = _events(tmp_path, settings, known, 2, seed=42)
    refused = _events(tmp_path, settings, newcomer, 2, seed=43)
    shutil.move(tmp_path / "docs-42", tmp_path / "moved")
    worker_factory(INVOICEFLOW_POLICY_FILE=str(policy))
    await wait_for_workers(settings)
    await _publish(settings, missing + refused)
    await _dead_letters(settings, 4)
    shutil.move(tmp_path / "moved", tmp_path / "docs-42")  # both causes fixed
    _policy(policy, [known, newcomer])
    await asyncio.sleep(2.5)  # the worker reloads its policy within a second

    first = await replay(settings, Selection(("detect",), reason="document_missing"), OPS)
    assert (first.matched, first.replayed) == (2, 2)
    second = await replay(settings, Selection(("detect",), reason="unknown_tenant"), OPS)
    assert (second.matched, second.replayed, second.already) == (2, 2, 0)  # not consumed by the first
    third = await replay(settings, Selection(("detect",)), OPS)
    assert (third.replayed, third.already) == (0, 4)
    assert await _wait_for(lambda: _rows(settings, known), 2, 60) == 2
    assert await _wait_for(lambda: _rows(settings, newcomer), 2, 60) == 2
    received = await collect(settings, f"{settings.topic_prefix}invoices.received", lambda rs: len(rs) >= 8, 30)
    assert sorted(r.key for r in received) == sorted([e.invoice_id.encode() for e in missing + refused] * 2)


async def test_poison_is_grouped_a_dry_run_changes_nothing_and_after_the_fix_each_is_scored_once(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str
) -> None:
    newcomer, other = f"newcomer-{run_id}", f"other-{run_id}"
    policy = tmp_path / "policy.yaml"
    _policy(policy, [other])
    refused = _events(tmp_path, settings, newcomer, 20, seed=44)
    gone = _events(tmp_path, settings, other, 3, seed=45)
    shutil.rmtree(tmp_path / "docs-45")
    worker_factory(INVOICEFLOW_POLICY_FILE=str(policy))
    await wait_for_workers(settings)
    await _publish(settings, refused + gone, [(b"junk-1", b"not json"), (b"junk-2", b"{]")])
    await _dead_letters(settings, 25)

    listing = await list_dead_letters(settings, Selection(("detect",)))
    groups = {(g.stage, g.reason): g for g in listing.groups}
    assert {k: g.count for k, g in groups.items()} == {("detect", "unknown_tenant"): 20,
                                                        ("detect", "document_missing"): 3,
                                                        ("detect", "decode_error"): 2}
    assert groups[("detect", "unknown_tenant")].example in {e.invoice_id for e in refused}
    assert (await list_dead_letters(settings, Selection(("detect",), tenant=newcomer))).total == 20

    dry = await replay(settings, Selection(("detect",), reason="unknown_tenant"),
                       ReplayOptions(operator="test", dry_run=True))
    assert (dry.matched, dry.replayed) == (20, 20)
    await asyncio.sleep(2)
    received = await collect(settings, f"{settings.topic_prefix}invoices.received", lambda rs: len(rs) > 25, 5)
    assert len(received) == 25  # the dry run sent nothing

    _policy(policy, [other, newcomer])
    await asyncio.sleep(2.5)
    done = await replay(settings, Selection(("detect",), reason="unknown_tenant"), OPS)
    assert (done.replayed, done.already) == (20, 0)
    assert await _wait_for(lambda: _rows(settings, newcomer), 20, 60) == 20
    again = await replay(settings, Selection(("detect",), reason="unknown_tenant"), OPS)
    assert (again.replayed, again.already) == (0, 20)


async def test_a_dead_letter_is_the_original_message_with_spring_headers_kcat_can_read(
    settings: Settings, worker_factory, tmp_path: Path, run_id: str
) -> None:
    original = b'{"not": "an InvoiceReceived"}'
    worker_factory()
    await ensure_topics(settings)
    await produce(settings, f"{settings.topic_prefix}invoices.received", [(b"k-1", original)],
                  headers=[("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")])
    [record] = await _dead_letters(settings, 1)
    assert (record.key, record.value) == (b"k-1", original)  # byte-identical, not wrapped
    topic = f"{settings.topic_prefix}invoices.detect.dlq"
    kcat = await asyncio.create_subprocess_exec(
        "kcat", "-C", "-b", settings.kafka_bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%h\\n",
        stdout=asyncio.subprocess.PIPE)
    shown, _ = await asyncio.wait_for(kcat.communicate(), 30)
    assert f"kafka_dlt-original-topic={settings.topic_prefix}invoices.received".encode() in shown
    assert b"kafka_dlt-exception-fqcn=streams.errors.SchemaError" in shown
    assert b"x-invoiceflow-error=schema_error" in shown and b"x-invoiceflow-stage=detect" in shown
    assert b"traceparent=00-0af7651916cd43dd8448eb211c80319c" in shown  # the original headers are kept
    view = view_of(record)
    assert view.trace_id == "0af7651916cd43dd8448eb211c80319c" and view.origin.offset == 0
