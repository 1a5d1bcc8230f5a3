"""A quota gate paces calls, never lets more than `rate` leave in a window, and honours Retry-After."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from streams.azure.gate import Admission, RateGate


async def _admit_sent(gate: RateGate) -> float:
    ticket = await gate.admit()
    ticket.sent()
    ticket.close()
    return time.monotonic()


async def test_gate_spaces_calls_instead_of_bursting() -> None:
    gate = RateGate(rate=50.0, headroom=1.0)
    start = time.monotonic()
    stamps = [await _admit_sent(gate) - start for _ in range(6)]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.017  # ~1/50 s apart (capacity 1.1 absorbs wake-up lateness), no burst of 50
    assert stamps[-1] >= 0.09


async def test_window_counts_calls_when_they_actually_leave() -> None:
    gate = RateGate(rate=3.0, headroom=1.0, window_s=0.3)
    held = [await gate.admit() for _ in range(3)]  # admitted, not yet sent: they count
    blocked = asyncio.create_task(gate.admit())
    await asyncio.sleep(0.5)  # pacing alone (1/3 s) would have admitted it by now
    assert not blocked.done()
    for ticket in held:
        ticket.sent()  # a stalled loop finally sends them: the window starts now, not at admission
    sent_at = time.monotonic()
    fourth = await asyncio.wait_for(blocked, 2.0)
    assert time.monotonic() - sent_at >= 0.29
    fourth.close()


async def test_a_ticket_closed_unsent_frees_its_place_but_a_late_send_still_counts() -> None:
    gate = RateGate(rate=1.0, headroom=1.0, window_s=5.0)
    first = await gate.admit()
    first.close()  # the request failed before leaving: no place taken
    second = await asyncio.wait_for(gate.admit(), 2.0)  # only paced (1 s), not held by the 5 s window
    second.close()
    second.sent()  # closed early (cancelled caller), yet it did leave: it counts
    third = asyncio.create_task(gate.admit())
    await asyncio.sleep(1.5)
    assert not third.done()
    third.cancel()


async def test_gate_pause_holds_calls_until_retry_after() -> None:
    gate = RateGate(rate=1000.0)
    gate.pause(0.15)
    assert gate.paused_for() > 0.1
    start = time.monotonic()
    (await gate.admit()).close()
    assert time.monotonic() - start >= 0.14


def test_gate_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RateGate(rate=0)
    with pytest.raises(ValueError):
        RateGate(rate=10, headroom=1.5)


class SharedTwin:
    """An in-memory `SharedAdmission`: answers scripted verdicts, then admits; records pauses and departures."""

    def __init__(self, verdicts: list[Admission]) -> None:
        self.verdicts = verdicts
        self.asked = 0
        self.paused: list[float] = []
        self.left_places: list[object] = []

    async def admit(self) -> Admission:
        self.asked += 1
        return self.verdicts.pop(0) if self.verdicts else Admission(place=f"place-{self.asked}")

    def pause(self, seconds: float) -> None:
        self.paused.append(seconds)

    def left(self, place: object) -> None:
        self.left_places.append(place)


async def test_a_sent_call_reports_its_shared_place_once_and_an_unsent_one_never() -> None:
    shared = SharedTwin([])
    gate = RateGate(rate=1000.0, shared=shared)
    sent = await gate.admit()
    sent.sent()
    sent.sent()
    sent.close()
    unsent = await gate.admit()
    unsent.close()
    assert shared.left_places == ["place-1"]


async def test_gate_waits_for_the_shared_quota_before_handing_out_a_ticket() -> None:
    shared = SharedTwin([Admission(0.15)])
    gate = RateGate(rate=1000.0, shared=shared)
    start = time.monotonic()
    (await gate.admit()).close()
    assert time.monotonic() - start >= 0.15 and shared.asked == 2


async def test_a_pause_seen_in_the_shared_quota_pauses_the_gate_and_one_here_is_passed_on() -> None:
    shared = SharedTwin([Admission(0.2, paused=True)])
    gate = RateGate(rate=1000.0, shared=shared)
    start = time.monotonic()
    (await gate.admit()).close()
    assert time.monotonic() - start >= 0.19 and gate.paused_for() == 0
    gate.pause(1.5)
    assert shared.paused == [1.5] and gate.paused_for() > 1.4


async def test_one_caller_at_a_time_asks_the_shared_quota() -> None:
    shared = SharedTwin([Admission(0.1), Admission(0.1)])
    gate = RateGate(rate=1000.0, shared=shared)
    start = time.monotonic()
    stamps = await asyncio.gather(*(_admit_sent(gate) for _ in range(3)))
    assert min(stamps) - start >= 0.19  # the others queued behind the first, none slipped past
    assert shared.asked == 5
