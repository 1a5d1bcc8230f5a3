"""Which offsets a worker may commit: only past records whose outputs were all handed to the producer.

Records are `started` when a stage takes them and `finished` once every output, retry or dead letter of
theirs has been sent. Per partition, the commit point is the lowest offset still unfinished, or one past the
highest finished when none is: a slow record (a paid extraction) holds the partition's commit point back
while faster ones after it finish, so a crash redelivers it and never skips it (at-least-once).
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.structs import TopicPartition


class OffsetBook:
    """Started and finished offsets per partition, and the commit points not yet committed."""

    __slots__ = ("_committed", "_next", "_pending")

    def __init__(self) -> None:
        self._pending: dict[TopicPartition, set[int]] = {}
        self._next: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}

    def started(self, tp: TopicPartition, offset: int) -> None:
        self._pending.setdefault(tp, set()).add(offset)

    def finished(self, tp: TopicPartition, offset: int) -> None:
        pending = self._pending.get(tp)
        if pending is not None:
            pending.discard(offset)
        if offset + 1 > self._next.get(tp, -1):
            self._next[tp] = offset + 1

    def due(self, tps: Iterable[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        """The commit point of every partition (of `tps`) that moved since it was last `committed`."""
        points: dict[TopicPartition, int] = {}
        for tp in self._next if tps is None else [tp for tp in tps if tp in self._next]:
            pending = self._pending.get(tp)
            point = min(pending) if pending else self._next[tp]
            if point > self._committed.get(tp, -1):
                points[tp] = point
        return points

    def committed(self, points: dict[TopicPartition, int]) -> None:
        for tp, point in points.items():
            self._committed[tp] = max(point, self._committed.get(tp, -1))

    def forget(self, tps: Iterable[TopicPartition]) -> None:
        """Drop partitions this worker no longer owns (their unfinished records go to the new owner)."""
        for tp in tps:
            self._pending.pop(tp, None)
            self._next.pop(tp, None)
            self._committed.pop(tp, None)
