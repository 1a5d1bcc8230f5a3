"""Parked records wait in their partition (paused) and keep its order; pauses of different reasons never
resume one another's partitions."""

from __future__ import annotations

import time

from aiokafka.structs import ConsumerRecord, TopicPartition

from streams.headers import NOT_BEFORE_HEADER, latest_not_before
from streams.lanes import Pauses
from streams.parking import Parking

TP = TopicPartition("t.retry", 0)
OTHER = TopicPartition("t.in", 0)


class FakeConsumer:
    def __init__(self) -> None:
        self.owned = {TP, OTHER}
        self.paused: set[TopicPartition] = set()

    def assignment(self) -> set[TopicPartition]:
        return self.owned

    def pause(self, *tps: TopicPartition) -> None:
        self.paused |= set(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused -= set(tps)


def _rec(offset: int, due: float | None = None, tp: TopicPartition = TP) -> ConsumerRecord[bytes, bytes]:
    headers = [(NOT_BEFORE_HEADER, f"{due:.3f}".encode())] if due is not None else []
    return ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, b"k", b"v", None, 1, 1, headers)


def _parking() -> tuple[Parking, FakeConsumer]:
    consumer = FakeConsumer()
    return Parking(Pauses(consumer), lambda: latest_not_before(time.time(), (1.0, 2.0))), consumer  # type: ignore[arg-type]


def test_records_not_yet_due_are_parked_with_their_partition_paused_and_later_ones_queue_behind() -> None:
    parking, consumer = _parking()
    now = time.time()
    ready = parking.fetched(TP, [_rec(1), _rec(2, now + 0.2), _rec(3)], retries=True)
    assert [r.offset for r in ready] == [1]
    assert consumer.paused == {TP}
    assert parking.fetched(TP, [_rec(4)], retries=True) == []  # fetched before the pause took effect
    assert parking.due() == {}
    time.sleep(0.25)
    assert [r.offset for r in parking.due()[TP]] == [2, 3, 4]
    assert consumer.paused == set() and TP not in parking


def test_a_forged_not_before_is_due_at_once_instead_of_holding_the_partition() -> None:
    parking, consumer = _parking()
    ready = parking.fetched(TP, [_rec(1, 1e30)], retries=True)
    assert [r.offset for r in ready] == [1] and consumer.paused == set()


def test_records_held_for_an_outage_go_back_in_front_and_wait_for_the_next_try() -> None:
    parking, consumer = _parking()
    parking.hold([_rec(10, tp=OTHER), _rec(11, tp=OTHER)], time.time() + 0.2)
    assert parking.fetched(OTHER, [_rec(12, tp=OTHER)], retries=False) == []
    assert consumer.paused == {OTHER} and parking.due() == {}
    next_due = parking.next_due()
    assert next_due is not None and next_due > time.time()
    time.sleep(0.25)
    assert [r.offset for r in parking.due()[OTHER]] == [10, 11, 12]
    assert consumer.paused == set()


def test_a_partition_paused_for_two_reasons_resumes_only_when_both_are_gone() -> None:
    consumer = FakeConsumer()
    pauses = Pauses(consumer)  # type: ignore[arg-type]
    pauses.add("window", [TP, OTHER])
    pauses.add("parked", [TP])
    pauses.remove("window")
    assert consumer.paused == {TP}
    pauses.remove("parked", [TP])
    assert consumer.paused == set()
    pauses.add("parked", [TopicPartition("not.mine", 0)])
    assert consumer.paused == set()


def test_dropping_a_partition_forgets_what_it_parked() -> None:
    parking, consumer = _parking()
    parking.hold([_rec(1, tp=OTHER)], time.time() + 60)
    parking.drop([OTHER])
    assert OTHER not in parking and len(parking) == 0 and consumer.paused == set()
