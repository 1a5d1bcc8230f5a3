"""The extract stage's view of the custom-model routes: cached, reloaded on time, never blocking on an outage."""

from __future__ import annotations

from streams.errors import SinkError
from streams.training import ModelRoutes, vendor_key


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_routes_are_loaded_once_per_refresh_period_not_per_invoice() -> None:
    clock = _Clock()
    answers = [{"acme": {"DE1": "m1"}}, {"acme": {"DE1": "m2"}}]

    async def load() -> dict[str, dict[str, str]]:
        return answers.pop(0)

    routes = ModelRoutes(load, refresh_s=30, clock=clock)
    for _ in range(100):
        assert await routes.for_tenant("acme") == {"DE1": "m1"}
    assert await routes.for_tenant("other") == {}
    assert routes.loads == 1
    clock.now = 30.0
    assert await routes.for_tenant("acme") == {"DE1": "m2"} and routes.loads == 2


async def test_a_failed_reload_keeps_the_last_routes() -> None:
    clock = _Clock()
    calls = 0

    async def load() -> dict[str, dict[str, str]]:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise SinkError("down")
        return {"acme": {"DE1": "m1"}}

    routes = ModelRoutes(load, refresh_s=1, clock=clock)
    assert await routes.for_tenant("acme") == {"DE1": "m1"}
    clock.now = 5.0
    assert await routes.for_tenant("acme") == {"DE1": "m1"}
    assert calls == 2
    assert await routes.for_tenant("acme") == {"DE1": "m1"} and calls == 2  # not retried before the period


def test_vendors_are_vat_ids_compact_and_upper_case() -> None:
    assert vendor_key(" de 123 456 ") == "DE123456"
    assert vendor_key(None) == ""
