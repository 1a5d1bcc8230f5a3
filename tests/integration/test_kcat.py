"""A real non-Python client: publish with kcat, read the scored result back with kcat."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from config.settings import Settings
from tests.integration.test_pipeline import corpus_ubl_files, received

pytestmark = pytest.mark.integration


def _kcat(*args: str, stdin: str | None = None) -> str:
    exe = shutil.which("kcat") or shutil.which("kafkacat")
    assert exe, "kcat is installed by `make setup`"
    done = subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_kcat_publish_and_read_back(settings: Settings, worker_factory, corpus: Path, run_id: str) -> None:
    worker_factory()
    event = received(corpus_ubl_files(corpus)[0], f"kcat-{run_id}")
    p, broker = settings.topic_prefix, settings.kafka_bootstrap
    trace_id = run_id.ljust(32, "0")
    _kcat("-b", broker, "-P", "-t", f"{p}invoices.received", "-k", event.invoice_id,
          "-H", f"traceparent=00-{trace_id}-00f067aa0ba902b7-01", stdin=event.model_dump_json())
    deadline = time.monotonic() + 90
    found = None
    while found is None and time.monotonic() < deadline:
        out = _kcat("-b", broker, "-C", "-t", f"{p}invoices.scored", "-o", "beginning", "-e", "-q",
                    "-f", "%k\t%h\t%s\n")
        for line in out.splitlines():
            key, headers, value = line.split("\t", 2)
            if key == event.invoice_id:
                found = (headers, json.loads(value))
        time.sleep(0.5)
    assert found is not None, "the kcat-published invoice was not scored"
    headers, scored = found
    assert scored["invoice_id"] == event.invoice_id and scored["decision"] in {"auto_approve", "review", "reject"}
    assert f"traceparent=00-{trace_id}-" in headers  # the trace started by kcat continued through every stage
