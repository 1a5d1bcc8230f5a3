"""A bounded memo of what this process made lately, each entry taken (removed) by the one read that finds it.

When one worker runs consecutive stages of the same invoices (co-partitioned topics), what a stage writes
comes back to the same process one hop later: the event it encoded, the document it loaded and verified.
Kafka still carries every message (the hop is as durable as before); the memo only spares re-doing work
whose result this process already holds. It is first in, first out within a cost budget, so entries nobody
here reads (another worker's partitions, external consumers) age out without growing the heap.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_: object) -> int:
    return 1


class Recent(Generic[K, V]):
    """At most `budget` worth of entries (each costing `cost(value)`, one by default), oldest out first."""

    def __init__(self, budget: int, cost: Callable[[V], int] = _one) -> None:
        self.budget = budget
        self._cost = cost
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._spent = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: K, value: V) -> None:
        """Remember `value` under `key` (replacing what was there), evicting the oldest beyond the budget."""
        cost = self._cost(value)
        if cost > self.budget:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._spent -= self._cost(old)
        self._entries[key] = value
        self._spent += cost
        while self._spent > self.budget:
            _, evicted = self._entries.popitem(last=False)
            self._spent -= self._cost(evicted)

    def take(self, key: K) -> V | None:
        """The value under `key`, removed from the memo; None when it is not (or no longer) here."""
        value = self._entries.pop(key, None)
        if value is None:
            self.misses += 1
            return None
        self._spent -= self._cost(value)
        self.hits += 1
        return value
