"""The commit point never passes an unfinished record, and moves as soon as the ones below it finish."""

from __future__ import annotations

from aiokafka.structs import TopicPartition

from streams.offsets import OffsetBook

A = TopicPartition("t", 0)
B = TopicPartition("t", 1)


def test_a_slow_record_holds_its_partition_back_until_it_finishes() -> None:
    book = OffsetBook()
    for offset in (10, 11, 12):
        book.started(A, offset)
    book.finished(A, 11)
    book.finished(A, 12)
    assert book.due() == {A: 10}  # 10 still runs: a crash now must redeliver it
    book.committed({A: 10})
    assert book.due() == {}  # nothing moved since
    book.finished(A, 10)
    assert book.due() == {A: 13}


def test_partitions_are_independent_and_only_moved_points_are_due() -> None:
    book = OffsetBook()
    book.started(A, 0)
    book.started(B, 5)
    book.finished(B, 5)
    assert book.due() == {B: 6}  # A has nothing finished yet: nothing to commit there
    book.committed({B: 6})
    book.finished(A, 0)
    assert book.due() == {A: 1}
    assert book.due([B]) == {}


def test_a_forgotten_partition_starts_afresh() -> None:
    book = OffsetBook()
    book.started(A, 3)
    book.finished(A, 3)
    book.committed(book.due())
    book.forget([A])
    assert book.due() == {}
    book.started(A, 3)  # the new assignment reads from the committed point again
    book.finished(A, 3)
    assert book.due() == {A: 4}
