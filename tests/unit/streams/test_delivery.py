"""A record is delivered only once Kafka acknowledged all it produced; a failed send is sent again, and a
message Kafka refuses for good is replaced by the record's dead letter. (The real broker going away is the
chaos suite's `broker` scenario: tests/integration/test_chaos.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka.errors import KafkaError, KafkaTimeoutError, MessageSizeTooLargeError, NodeNotReadyError
from aiokafka.structs import ConsumerRecord, TopicPartition

from streams.delivery import Outbox
from streams.stage import Outbound


class FakeProducer:
    """Hands back a future per message, which the test resolves (or refuses messages at send time)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.futures: list[asyncio.Future[object]] = []
        self.refuse: KafkaError | None = None

    async def send(self, topic: str, value: bytes, key: bytes | None = None, headers: Any = None) -> Any:
        if self.refuse is not None:
            raise self.refuse
        fut: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self.sent.append((topic, value))
        self.futures.append(fut)
        return fut


def _record(offset: int, partition: int = 0) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("t.in", partition, offset, 0, 0, b"k", b"v", None, 1, 1, [])


def _outbox(producer: FakeProducer) -> tuple[Outbox, list[int], list[tuple[int, str]]]:
    delivered: list[int] = []
    replaced: list[tuple[int, str]] = []

    def replace(record: ConsumerRecord[bytes, bytes], out: Outbound, exc: KafkaError) -> Sequence[Outbound]:
        replaced.append((record.offset, type(exc).__name__))
        return [] if out.topic == "t.dlq" else [Outbound("t.dlq", b"k", b"dead letter")]

    outbox = Outbox(producer, lambda r: delivered.append(r.offset), replace, max_backoff_s=0.2)  # type: ignore[arg-type]
    return outbox, delivered, replaced


async def test_a_record_is_delivered_only_when_every_output_is_acknowledged() -> None:
    producer = FakeProducer()
    outbox, delivered, _ = _outbox(producer)
    await outbox.deliver(_record(7), [Outbound("t.out", b"k", b"1"), Outbound("t.out", b"k", b"2")])
    producer.futures[0].set_result(None)
    await asyncio.sleep(0)
    assert delivered == []  # one of two
    producer.futures[1].set_result(None)
    await asyncio.sleep(0)
    assert delivered == [7] and outbox.undelivered == 0


async def test_a_record_with_nothing_to_send_is_delivered_at_once() -> None:
    outbox, delivered, _ = _outbox(FakeProducer())
    await outbox.deliver(_record(3), [])
    assert delivered == [3]


async def test_a_failed_delivery_is_sent_again_until_it_goes_through() -> None:
    producer = FakeProducer()
    outbox, delivered, _ = _outbox(producer)
    await outbox.deliver(_record(1), [Outbound("t.out", b"k", b"x")])
    producer.futures[0].set_exception(NodeNotReadyError("broker away"))
    await asyncio.sleep(0)
    assert delivered == [] and outbox.failing  # the old code flushed, ignored this, and committed past it
    await outbox.resend_due()
    assert len(producer.sent) == 1  # not before its backoff
    await asyncio.sleep(0.6)
    await outbox.resend_due()
    assert len(producer.sent) == 2
    producer.futures[1].set_result(None)
    await asyncio.sleep(0)
    assert delivered == [1] and not outbox.failing


async def test_a_send_refused_before_it_was_queued_is_sent_again_too() -> None:
    producer = FakeProducer()
    outbox, delivered, _ = _outbox(producer)
    producer.refuse = KafkaTimeoutError()
    await outbox.deliver(_record(2), [Outbound("t.out", b"k", b"x")])
    assert outbox.failing and delivered == []
    producer.refuse = None
    await asyncio.sleep(0.3)
    await outbox.resend_due()
    assert len(producer.sent) == 1 and not outbox.failing
    producer.futures[0].set_result(None)
    await asyncio.sleep(0)
    assert delivered == [2]


async def test_a_message_kafka_refuses_for_good_is_replaced_by_the_dead_letter() -> None:
    producer = FakeProducer()
    outbox, delivered, replaced = _outbox(producer)
    producer.refuse = MessageSizeTooLargeError()
    await outbox.deliver(_record(4), [Outbound("t.out", b"k", b"x" * 10)])
    producer.refuse = None
    assert replaced == [(4, "MessageSizeTooLargeError")] and not outbox.failing
    await outbox.resend_due()
    assert producer.sent == [("t.dlq", b"dead letter")]
    producer.futures[0].set_result(None)
    await asyncio.sleep(0)
    assert delivered == [4]


async def test_records_of_a_partition_given_up_no_longer_count() -> None:
    producer = FakeProducer()
    outbox, delivered, _ = _outbox(producer)
    await outbox.deliver(_record(5, partition=1), [Outbound("t.out", b"k", b"x")])
    outbox.forget([TopicPartition("t.in", 1)])
    producer.futures[0].set_result(None)
    await asyncio.sleep(0)
    assert delivered == [] and outbox.undelivered == 0
