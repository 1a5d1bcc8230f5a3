"""Readiness: each check bounded in time, every failing one named with its reason, 503 unless all pass."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from streams.errors import SinkError
from streams.health import Check, consumer_state, timed, verdict


async def _answers() -> str:
    return "PONG"


async def _hangs() -> str:
    await asyncio.sleep(60)
    return "never"


async def _refused() -> str:
    raise RedisConnectionError("Error 111 connecting to 10.0.0.7:6379 with password hunter2")


async def _ours() -> str:
    raise SinkError("postgres at the configured DSN did not answer: ConnectionRefusedError")


async def test_a_check_passes_fails_or_times_out_within_its_bound() -> None:
    began = time.perf_counter()
    ok, hung, refused, ours = await asyncio.gather(timed("redis", _answers, 1), timed("kafka", _hangs, 0.1),
                                                   timed("redis", _refused, 1), timed("postgres", _ours, 1))
    assert time.perf_counter() - began < 1
    assert (ok.ok, ok.detail) == (True, "PONG")
    assert (hung.ok, hung.detail) == (False, "no answer within 0.1 s")
    assert (refused.ok, refused.detail) == (False, "ConnectionError")  # the kind, never the address or a secret
    assert (ours.ok, ours.detail) == (False, "sink_error: postgres at the configured DSN did not answer: "
                                             "ConnectionRefusedError")


def test_ready_only_when_every_check_passes_and_each_failure_says_why() -> None:
    good = [Check("kafka", True, "1 broker(s)", 2.0), Check("consumer", True, "8 partition(s)", 0.0)]
    assert verdict(good) == (200, {"status": "ready", "checks": {
        "kafka": {"ok": True, "detail": "1 broker(s)", "ms": 2.0},
        "consumer": {"ok": True, "detail": "8 partition(s)", "ms": 0.0}}})
    status, body = verdict([*good, Check("redis", False, "ConnectionError", 1.0)])
    assert (status, body["status"], body["failing"]) == (503, "not_ready", {"redis": "ConnectionError"})


def _worker(state: str, partitions: int, started: bool = True, stopping: bool = False) -> SimpleNamespace:
    stop = asyncio.Event()
    if stopping:
        stop.set()
    consumer = SimpleNamespace(assignment=lambda: set(range(partitions)))
    return SimpleNamespace(started=started, group_state=state, group_since=time.monotonic() - 3, stopping=stop,
                           consumer=consumer, settings=SimpleNamespace(app_id="invoiceflow"))


@pytest.mark.parametrize(("state", "ok", "detail"), [
    (("assigned", 8), True, "8 partition(s)"),
    (("assigned", 0), True, "assigned no partition: the group has more workers than partitions; standing by"),
    (("joining", 0), False, "joining in group invoiceflow for 3 s"),
    (("rebalancing", 8), False, "rebalancing in group invoiceflow for 3 s"),
    (("joining", 0, False), False, "starting"),
    (("assigned", 8, True, True), False, "stopping"),
])
def test_the_consumer_is_ready_once_it_holds_its_groups_latest_assignment(
    state: tuple[Any, ...], ok: bool, detail: str
) -> None:
    check = consumer_state(_worker(*state))  # type: ignore[arg-type]
    assert (check.ok, check.detail) == (ok, detail)
