"""The extract stage's view of the vendor layouts: loaded in one query, parsed once per load, never blocking."""

from __future__ import annotations

from streams.errors import SinkError
from streams.sinks.layouts import LayoutCache, StoredLayout


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _row(tenant: str, vendor: str, version: int) -> StoredLayout:
    return StoredLayout(tenant, vendor, version, {"rules": []}, f"review-{version}")


async def test_layouts_are_loaded_and_parsed_once_per_refresh_period_not_per_invoice() -> None:
    clock = _Clock()
    answers = [[_row("acme", "DE1", 1), _row("acme", "DE2", 4), _row("beta", "FR1", 1)], [_row("acme", "DE1", 2)]]
    parsed: list[str] = []

    async def load() -> list[StoredLayout]:
        return answers.pop(0)

    def parse(row: StoredLayout) -> str:
        parsed.append(row.vendor)
        return f"{row.vendor}:v{row.version}"

    cache = LayoutCache(load, parse, refresh_s=30, clock=clock)
    for _ in range(100):
        assert await cache.for_tenant("acme") == ("DE1:v1", "DE2:v4")
    assert await cache.for_tenant("nobody") == ()
    assert cache.loads == 1 and parsed == ["DE1", "DE2", "FR1"]
    clock.now = 30.0
    assert await cache.for_tenant("acme") == ("DE1:v2",) and cache.loads == 2
    assert await cache.for_tenant("beta") == ()  # a reload replaces every tenant's layouts


async def test_a_failed_reload_keeps_the_last_layouts() -> None:
    clock = _Clock()
    calls = 0

    async def load() -> list[StoredLayout]:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise SinkError("down")
        return [_row("acme", "DE1", 1)]

    cache = LayoutCache(load, lambda r: r.version, refresh_s=1, clock=clock)
    assert await cache.for_tenant("acme") == (1,)
    clock.now = 5.0
    assert await cache.for_tenant("acme") == (1,) and calls == 2
    assert await cache.for_tenant("acme") == (1,) and calls == 2  # not retried before the period
