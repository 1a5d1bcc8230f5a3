"""The toy stage (scratch)."""

from __future__ import annotations

from agents.audit import audit
from tests.records_helpers import scored


def test_audit_passes_the_event_on() -> None:
    ev = scored("a", "t")
    assert audit(ev) is ev  # type: ignore[arg-type]
