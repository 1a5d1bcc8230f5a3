"""Reading the local fake of the paid service's request log, shared by the paid-extraction tests."""

from __future__ import annotations

from collections.abc import Sequence

from infra.fake_azure_di import FakeAzureDI, RequestRecord


def analyses(fake: FakeAzureDI) -> list[RequestRecord]:
    """The analyze requests the fake received, in order."""
    return [r for r in fake.requests if r.kind == "analyze"]


def max_in_any_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most events that fall within any `window` seconds (a sliding window over sorted times)."""
    ordered = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(ordered):
        while ordered[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best
