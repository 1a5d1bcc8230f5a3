"""The endpoint pool: circuit breaker transitions, least-loaded routing and in-flight slots."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from streams.azure import BreakerPolicy, BreakerState, EndpointConfig, EndpointLoad, EndpointPool, Phase
from streams.azure import choose_endpoint as choose
from streams.azure.breaker import can_send, on_failure, on_probe_abandoned, on_send, on_success, probe_at

POLICY = BreakerPolicy(failure_threshold=3, cooldown_s=10.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cfg(name: str, max_in_flight: int = 2, rate: float = 15.0) -> EndpointConfig:
    return EndpointConfig(name, f"http://{name}.invalid", SecretStr("k"), rate, 50.0, max_in_flight)


def _load(name: str, in_flight: int, cap: int = 10, rate: float = 15.0, paused: float = 0.0,
          breaker: BreakerState | None = None) -> EndpointLoad:
    return EndpointLoad(name, in_flight, cap, rate, paused, breaker or BreakerState())


# ------------------------------------------------------------------ breaker


def test_breaker_opens_after_consecutive_failures_only() -> None:
    state = BreakerState()
    state = on_failure(on_failure(state, POLICY, 0.0), POLICY, 1.0)
    assert state.phase is Phase.CLOSED and state.failures == 2
    state = on_success(state)
    assert state.failures == 0  # a success resets the streak
    for t in range(3):
        state = on_failure(state, POLICY, float(t))
    assert state.phase is Phase.OPEN and state.opened_at == 2.0
    assert not can_send(state, POLICY, 11.9)
    assert probe_at(state, POLICY) == 12.0


def test_breaker_half_open_admits_one_probe_then_closes_or_reopens() -> None:
    opened = BreakerState(phase=Phase.OPEN, failures=3, opened_at=0.0)
    assert can_send(opened, POLICY, 10.0)
    probing, is_probe = on_send(opened, POLICY, 10.0)
    assert is_probe and probing.phase is Phase.HALF_OPEN
    assert not can_send(probing, POLICY, 10.5)  # only one probe at a time
    with pytest.raises(ValueError):
        on_send(probing, POLICY, 10.5)
    assert on_success(probing) == BreakerState()
    reopened = on_failure(probing, POLICY, 11.0)
    assert reopened.phase is Phase.OPEN and reopened.opened_at == 11.0
    assert not can_send(reopened, POLICY, 20.9) and can_send(reopened, POLICY, 21.0)
    assert can_send(on_probe_abandoned(probing), POLICY, 10.5)


def test_closed_send_is_not_a_probe() -> None:
    state, probe = on_send(BreakerState(), POLICY, 0.0)
    assert state == BreakerState() and probe is False


# ------------------------------------------------------------------ routing


def test_least_loaded_is_shortest_expected_wait() -> None:
    assert choose([_load("a", 4), _load("b", 2)], POLICY, 0.0) == "b"
    # twice the rate drains twice the queue in the same time
    assert choose([_load("a", 4, rate=30.0), _load("b", 3)], POLICY, 0.0) == "a"
    # a pause from Retry-After counts as wait
    assert choose([_load("a", 0, paused=2.0), _load("b", 5)], POLICY, 0.0) == "b"
    # ties go to the first name, deterministically
    assert choose([_load("b", 1), _load("a", 1)], POLICY, 0.0) == "a"


def test_routing_skips_full_and_open_endpoints() -> None:
    opened = BreakerState(phase=Phase.OPEN, failures=3, opened_at=0.0)
    assert choose([_load("a", 10, cap=10), _load("b", 9, cap=10)], POLICY, 0.0) == "b"
    assert choose([_load("a", 0, breaker=opened), _load("b", 9)], POLICY, 5.0) == "b"
    assert choose([_load("a", 0, breaker=opened), _load("b", 10, cap=10)], POLICY, 5.0) is None
    assert choose([_load("a", 0, breaker=opened)], POLICY, 10.0) == "a"  # cooldown over: probe


async def test_pool_spreads_documents_and_caps_in_flight() -> None:
    pool = EndpointPool([_cfg("a"), _cfg("b")], POLICY)
    leases = [await pool.acquire() for _ in range(4)]
    assert sorted(lease.endpoint.name for lease in leases) == ["a", "a", "b", "b"]
    waiting = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    assert not waiting.done()  # both endpoints are at max_in_flight
    pool.release(leases[2])
    lease = await asyncio.wait_for(waiting, 1.0)
    assert lease.endpoint is leases[2].endpoint
    assert [e.in_flight for e in pool.snapshot()] == [2, 2]


async def test_pool_routes_around_an_open_circuit_and_probes_after_cooldown() -> None:
    clock = Clock()
    pool = EndpointPool([_cfg("a", 5), _cfg("b", 5)], POLICY, clock=clock)
    a = pool.get("a")
    assert a is not None
    for _ in range(3):
        pool.failed(a)
    assert a.breaker.phase is Phase.OPEN
    names = []
    for _ in range(3):
        lease = await pool.acquire()
        names.append(lease.endpoint.name)
        pool.release(lease)
    assert names == ["b", "b", "b"]
    clock.now += 10.0
    probe = await pool.acquire()
    assert probe.endpoint is a and probe.probe
    other = await pool.acquire()
    assert other.endpoint.name == "b"  # a admits no second document while probing
    pool.succeeded(a)
    pool.release(probe)
    assert a.breaker.phase is Phase.CLOSED


async def test_cancelled_probe_lets_another_probe() -> None:
    clock = Clock()
    pool = EndpointPool([_cfg("a", 5)], POLICY, clock=clock)
    a = pool.endpoints[0]
    a.breaker = BreakerState(phase=Phase.OPEN, failures=3, opened_at=clock.now - 10.0)
    probe = await pool.acquire()
    pool.release(probe)  # ended with neither success nor failure recorded
    again = await asyncio.wait_for(pool.acquire(), 1.0)
    assert again.probe


async def test_named_acquire_ignores_the_breaker_but_not_the_cap() -> None:
    pool = EndpointPool([_cfg("a", 1)], POLICY)
    a = pool.endpoints[0]
    for _ in range(3):
        pool.failed(a)
    lease = await pool.acquire("a")  # resuming an operation only this endpoint knows
    assert lease.endpoint is a
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pool.acquire("a"), 0.05)
    with pytest.raises(KeyError):
        await pool.acquire("nope")


def test_pool_rejects_bad_configs() -> None:
    with pytest.raises(ValueError):
        EndpointPool([])
    with pytest.raises(ValueError):
        EndpointPool([_cfg("a"), _cfg("a")])
