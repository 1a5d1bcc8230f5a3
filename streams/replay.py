"""Replay dead letters: put each one's original message back on the topic its stage reads.

An operator fixes the cause (a missing file restored, a policy added for a tenant, a bug deployed) and
replays. Replay reads the stage's dead-letter topic in its own consumer group, so each dead letter is
replayed once unless asked again (`from_beginning`); it can be limited to one error code. The original key,
value and trace headers go back unchanged, so downstream deduplication by event id still holds. A record on
the dead-letter topic that is not a dead-letter envelope (anyone can write there), or one without the
original message (a record Kafka's client could not decode), cannot be replayed: it is counted as
`unreadable` and passed over, and the replay goes on.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from config.settings import Settings
from config.topics import STAGES, dead_letter_topic
from schemas import DeadLetter
from streams.codecs import decode
from streams.errors import DependencyUnavailable, InvoiceflowError
from streams.topics import topic_name

_DROPPED_HEADERS = ("x-invoiceflow-error", "x-invoiceflow-attempt", "x-invoiceflow-not-before")


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What a replay did."""

    replayed: int
    skipped: int
    unreadable: int = 0


async def replay_dead_letters(settings: Settings, stage: str, *, error_code: str | None = None,
                              from_beginning: bool = False, idle_s: float = 2.0) -> ReplayReport:
    """Re-publish the stage's dead letters (optionally only those with `error_code`) to its input topic."""
    if stage not in STAGES:
        raise InvoiceflowError(f"unknown stage {stage!r}; choose from {', '.join(STAGES)}")
    source, target = topic_name(settings, dead_letter_topic(stage)), topic_name(settings, STAGES[stage][0])
    consumer = AIOKafkaConsumer(source, bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                                group_id=f"{settings.app_id}-replay-{stage}", auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    try:
        await consumer.start()
        await producer.start()
        if from_beginning:
            await _rewind(consumer, source)
        return await _replay(consumer, producer, target, error_code, idle_s)
    except KafkaError as exc:
        raise DependencyUnavailable(f"replay failed: {type(exc).__name__}") from exc
    finally:
        await consumer.stop()
        await producer.stop()


async def _rewind(consumer: AIOKafkaConsumer, topic: str) -> None:
    deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < deadline:
        await consumer.getmany(timeout_ms=200)  # join the group
    await consumer.seek_to_beginning(*[tp for tp in consumer.assignment() if tp.topic == topic])


async def _replay(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, target: str, error_code: str | None,
                  idle_s: float) -> ReplayReport:
    replayed = skipped = unreadable = 0
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < idle_s:
        batch = await consumer.getmany(timeout_ms=200, max_records=500)
        if not batch:
            continue
        idle_since = time.monotonic()
        sent = []
        for records in batch.values():
            for rec in records:
                try:
                    letter = decode(DeadLetter, rec.value)
                except InvoiceflowError:  # not an envelope: nothing to put back
                    unreadable += 1
                    continue
                if not letter.payload_b64:  # the original could not be read at all: it stays at its offset
                    unreadable += 1
                    continue
                if error_code is not None and letter.error_code != error_code:
                    skipped += 1
                    continue
                headers = [(k, v.encode()) for k, v in letter.headers.items() if k not in _DROPPED_HEADERS]
                sent.append(await producer.send(target, base64.b64decode(letter.payload_b64),
                                                key=letter.key.encode() if letter.key else None, headers=headers))
        for future in sent:
            await future  # every replayed message is acknowledged before its dead letter is marked done
        replayed += len(sent)
        await consumer.commit({tp: recs[-1].offset + 1 for tp, recs in batch.items()})
    return ReplayReport(replayed, skipped, unreadable)
