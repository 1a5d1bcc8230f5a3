"""The pool of Document Intelligence resources: quota per endpoint, health, and least-loaded routing.

Each resource has its own key and its own quotas (analyze and get-result calls per second, counted
separately by the service), so each endpoint gets two `RateGate`s (pacing, a hard 1 s window, Retry-After
pauses: see gate.py), an in-flight cap and a circuit breaker. New documents go to the healthy endpoint
with the shortest expected wait (in-flight per analyze rate, plus any pause); a resumed operation must go
back to the endpoint that owns it. Routing is a pure function over snapshots, testable without a loop.
Given a `SharedQuotaSource`, each gate also consults the quota that every worker process shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from streams.azure.breaker import (
    BreakerPolicy,
    BreakerState,
    Phase,
    can_send,
    on_failure,
    on_probe_abandoned,
    on_send,
    on_success,
    probe_at,
)
from streams.azure.gate import RateGate, SharedAdmission

Clock = Callable[[], float]
QuotaKind = Literal["analyze", "get"]


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """One resource: where it is, its key, and the quotas it was provisioned with."""

    name: str
    url: str
    key: SecretStr
    analyze_rps: float = 15.0
    get_rps: float = 50.0
    max_in_flight: int = 64


@dataclass(frozen=True, slots=True)
class EndpointLoad:
    """A snapshot of one endpoint, for routing decisions and metrics."""

    name: str
    in_flight: int
    max_in_flight: int
    analyze_rps: float
    paused_s: float
    breaker: BreakerState


def choose_endpoint(loads: Sequence[EndpointLoad], policy: BreakerPolicy, now: float) -> str | None:
    """The endpoint a new document should go to: healthy, under its cap, shortest expected wait."""
    open_ = [e for e in loads if e.in_flight < e.max_in_flight and can_send(e.breaker, policy, now)]
    if not open_:
        return None
    return min(open_, key=lambda e: (e.in_flight / e.analyze_rps + e.paused_s, e.name)).name


# The quota of one endpoint that other worker processes share (None: this process has it to itself).
SharedQuotaSource = Callable[[EndpointConfig, QuotaKind], SharedAdmission]


class Endpoint:
    """The live state of one resource (the pool's imperative shell around the pure parts)."""

    __slots__ = ("analyze_gate", "breaker", "config", "get_gate", "in_flight")

    def __init__(
        self, config: EndpointConfig, headroom: float, clock: Clock, shared: SharedQuotaSource | None = None
    ) -> None:
        self.config = config
        analyze, get = (shared(config, "analyze"), shared(config, "get")) if shared is not None else (None, None)
        self.analyze_gate = RateGate(config.analyze_rps, headroom, clock, shared=analyze)
        self.get_gate = RateGate(config.get_rps, headroom, clock, shared=get)
        self.in_flight = 0
        self.breaker = BreakerState()

    @property
    def name(self) -> str:
        return self.config.name

    def load(self) -> EndpointLoad:
        c = self.config
        paused = self.analyze_gate.paused_for()
        return EndpointLoad(c.name, self.in_flight, c.max_in_flight, c.analyze_rps, paused, self.breaker)


@dataclass(frozen=True, slots=True)
class Lease:
    """A slot on one endpoint; `probe` marks the half-open circuit's single trial."""

    endpoint: Endpoint
    probe: bool = False


class EndpointPool:
    """Routes documents over endpoints; callers bound how many documents wait here at once."""

    def __init__(
        self,
        configs: Sequence[EndpointConfig],
        breaker: BreakerPolicy | None = None,
        headroom: float = 0.97,
        clock: Clock = time.monotonic,
        shared: SharedQuotaSource | None = None,
    ) -> None:
        if not configs:
            raise ValueError("the endpoint pool needs at least one endpoint")
        names = [c.name for c in configs]
        if len(set(names)) != len(names):
            raise ValueError("endpoint names must be unique")
        self.policy = breaker or BreakerPolicy()
        self._clock = clock
        self._endpoints = {c.name: Endpoint(c, headroom, clock, shared) for c in configs}
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return tuple(self._endpoints.values())

    def get(self, name: str) -> Endpoint | None:
        return self._endpoints.get(name)

    def snapshot(self) -> tuple[EndpointLoad, ...]:
        return tuple(e.load() for e in self._endpoints.values())

    def _try_acquire(self, name: str | None) -> Lease | None:
        now = self._clock()
        if name is not None:
            ep = self._endpoints[name]
            if ep.in_flight >= ep.config.max_in_flight:
                return None
            ep.in_flight += 1
            return Lease(ep)
        chosen = choose_endpoint(self.snapshot(), self.policy, now)
        if chosen is None:
            return None
        ep = self._endpoints[chosen]
        ep.breaker, probe = on_send(ep.breaker, self.policy, now)
        ep.in_flight += 1
        return Lease(ep, probe)

    def _next_probe_in(self) -> float | None:
        times = [t for e in self._endpoints.values() if (t := probe_at(e.breaker, self.policy)) is not None]
        return max(0.0, min(times) - self._clock()) if times else None

    async def acquire(self, name: str | None = None) -> Lease:
        """A slot on the named endpoint, or on the best one for a new document; waits until there is one."""
        if name is not None and name not in self._endpoints:
            raise KeyError(name)
        while True:
            lease = self._try_acquire(name)
            if lease is not None:
                return lease
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            delay = None if name is not None else self._next_probe_in()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, delay)
            except asyncio.CancelledError:
                self._wake()  # pass on a wake-up this task can no longer use
                raise
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    def may_send(self, lease: Lease) -> bool:
        """Whether a document holding `lease` may still send: its circuit is closed, or it is the probe."""
        return lease.probe or lease.endpoint.breaker.phase is Phase.CLOSED

    def release(self, lease: Lease) -> None:
        """Give the slot back (always, in a finally)."""
        ep = lease.endpoint
        ep.in_flight -= 1
        if lease.probe:
            ep.breaker = on_probe_abandoned(ep.breaker)
        self._wake()

    def succeeded(self, endpoint: Endpoint) -> None:
        """The endpoint answered (any 2xx or 4xx, 429 included)."""
        before = endpoint.breaker
        endpoint.breaker = on_success(before)
        if endpoint.breaker != before:
            self._wake()

    def failed(self, endpoint: Endpoint) -> None:
        """The endpoint failed (5xx, connection error, no answer)."""
        endpoint.breaker = on_failure(endpoint.breaker, self.policy, self._clock())

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
