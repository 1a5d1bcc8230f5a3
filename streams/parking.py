"""Records that wait in their partition: a retried record until its not-before time, and the records of a
stage whose dependency (PostgreSQL, Redis) is down until the stage's next try.

A partition with records parked is paused, and records fetched from it before the pause took effect queue
behind the parked ones, so each partition keeps its order and nothing behind a waiting record overtakes it.
Parked records were not committed past (the worker's `OffsetBook` holds them as unfinished, or they were
never started), so a worker that dies while they wait loses none of them: its successor reads them again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from aiokafka.structs import TopicPartition

from streams.headers import not_before
from streams.lanes import Pauses, Record

_WHY = "parked"


def _tp(record: Record) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


class Parking:
    """The parked records of every partition, oldest first, and the time each partition may go on."""

    def __init__(self, pauses: Pauses, latest_not_before: Callable[[], float]) -> None:
        """`latest_not_before()` bounds a record's not-before header (a later one is forged: due at once)."""
        self._pauses = pauses
        self._latest = latest_not_before
        self._queues: dict[TopicPartition, deque[Record]] = {}
        self._until: dict[TopicPartition, float] = {}

    def __contains__(self, tp: TopicPartition) -> bool:
        return tp in self._queues

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def fetched(self, tp: TopicPartition, records: list[Record], retries: bool) -> list[Record]:
        """The fetched records of `tp` that may be handled now; the rest are parked.

        Args:
            tp: Their partition.
            records: As fetched, in offset order.
            retries: `tp` is a retry topic's, whose records carry a not-before time.
        """
        if tp in self._queues:  # fetched before the pause took effect: behind the parked ones
            self._queues[tp].extend(records)
            return []
        if not retries:
            return records
        now, latest = time.time(), self._latest()
        cut = next((i for i, r in enumerate(records) if not_before(r.headers, latest) > now), len(records))
        if cut < len(records):
            self._park(tp, records[cut:], front=False)
        return records[:cut]

    def hold(self, records: Sequence[Record], until: float) -> None:
        """Park `records` (handled once, to be handled again) at the front of their partitions until `until`."""
        by_tp: dict[TopicPartition, list[Record]] = {}
        for r in records:
            by_tp.setdefault(_tp(r), []).append(r)
        for tp, mine in by_tp.items():
            self._park(tp, mine, front=True)
            self._until[tp] = max(until, self._until.get(tp, 0.0))

    def due(self) -> dict[TopicPartition, list[Record]]:
        """Take every record whose time has come; partitions left with none parked are resumed."""
        now, latest = time.time(), self._latest()
        out: dict[TopicPartition, list[Record]] = {}
        for tp in list(self._queues):
            if self._until.get(tp, 0.0) > now:
                continue
            queue = self._queues[tp]
            taken: list[Record] = []
            while queue and not_before(queue[0].headers, latest) <= now:
                taken.append(queue.popleft())
            if taken:
                out[tp] = taken
            if not queue:
                self.drop([tp])
        return out

    def next_due(self) -> float | None:
        """The earliest time a parked record may go (None: nothing is parked)."""
        if not self._queues:
            return None
        latest = self._latest()
        return min(max(self._until.get(tp, 0.0), not_before(q[0].headers, latest)) for tp, q in self._queues.items())

    def drop(self, tps: Iterable[TopicPartition]) -> None:
        """Forget what `tps` had parked (their new owner reads it again) and let them go on."""
        gone = [tp for tp in tps if tp in self._queues]
        for tp in gone:
            del self._queues[tp]
            self._until.pop(tp, None)
        self._pauses.remove(_WHY, gone)

    def _park(self, tp: TopicPartition, records: Sequence[Record], front: bool) -> None:
        queue = self._queues.setdefault(tp, deque())
        if front:
            queue.extendleft(reversed(records))
        else:
            queue.extend(records)
        self._pauses.add(_WHY, [tp])
