"""A circuit breaker per endpoint, as pure transitions over an immutable state.

A resource that keeps failing (5xx, connection errors) should stop receiving new documents, so they go to
the healthy ones instead of burning their time budgets; after a cooldown one probe is let through and its
outcome closes or reopens the circuit. Throttling (429) and refusals (4xx) prove the endpoint is alive and
count as successes here: quota is the limiter's business, not the breaker's. Functions take `now` so tests
drive time by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Phase(StrEnum):
    """Where a circuit is."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When to open (consecutive failures) and how long to wait before probing."""

    failure_threshold: int = 5
    cooldown_s: float = 30.0


@dataclass(frozen=True, slots=True)
class BreakerState:
    """The circuit of one endpoint."""

    phase: Phase = Phase.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    probing: bool = False


def can_send(state: BreakerState, policy: BreakerPolicy, now: float) -> bool:
    """Whether a new document may be routed to this endpoint now."""
    if state.phase is Phase.CLOSED:
        return True
    if state.phase is Phase.OPEN:
        return now >= state.opened_at + policy.cooldown_s
    return not state.probing


def on_send(state: BreakerState, policy: BreakerPolicy, now: float) -> tuple[BreakerState, bool]:
    """Take a send slot; returns the new state and whether this send is the half-open probe."""
    if state.phase is Phase.CLOSED:
        return state, False
    if not can_send(state, policy, now):
        raise ValueError("the circuit does not admit a send now")
    return replace(state, phase=Phase.HALF_OPEN, probing=True), True


def on_success(state: BreakerState) -> BreakerState:
    """The endpoint answered: close the circuit."""
    if state.phase is Phase.CLOSED and state.failures == 0:
        return state
    return BreakerState()


def on_failure(state: BreakerState, policy: BreakerPolicy, now: float) -> BreakerState:
    """The endpoint failed (5xx, connection): count it, open at the threshold, reopen a failed probe."""
    if state.phase is Phase.HALF_OPEN:
        return BreakerState(phase=Phase.OPEN, failures=state.failures + 1, opened_at=now)
    if state.phase is Phase.OPEN:
        return state
    failures = state.failures + 1
    if failures >= policy.failure_threshold:
        return BreakerState(phase=Phase.OPEN, failures=failures, opened_at=now)
    return replace(state, failures=failures)


def on_probe_abandoned(state: BreakerState) -> BreakerState:
    """The probe ended without an answer (cancelled): let another document probe."""
    if state.phase is Phase.HALF_OPEN and state.probing:
        return replace(state, probing=False)
    return state


def probe_at(state: BreakerState, policy: BreakerPolicy) -> float | None:
    """When an open circuit will admit its probe; None if it admits sends already or is probing."""
    if state.phase is Phase.OPEN:
        return state.opened_at + policy.cooldown_s
    return None
