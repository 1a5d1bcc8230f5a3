"""The worker hands each batch's dead letters to its hook before sending them; while the store behind the
hook is down, those records are held (nothing sent, so nothing sent twice), the others go on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from config.settings import Settings
from streams.errors import InvoiceflowError, SinkError
from streams.kafka_worker import KafkaStageWorker
from streams.sinks import DeadLetterFact
from streams.stage import Outbound, Routed


def _note(offset: int) -> DeadLetterFact:
    return DeadLetterFact("detect", "decode_error", "t.in", 0, offset, datetime.now(UTC), "acme")


BATCH = [Routed((Outbound("t.out", b"k", b"v"),)), Routed((Outbound("t.dlq", b"k", b"x"),), dead_letter=_note(1))]


async def test_the_hook_sees_the_dead_letters_and_they_are_sent() -> None:
    worker = KafkaStageWorker(Settings())
    seen: list[DeadLetterFact] = []

    async def hook(notes: Sequence[DeadLetterFact]) -> None:
        seen.extend(notes)

    worker.on_dead_letters = hook
    assert await worker._note_dead_letters(list(BATCH)) == BATCH
    assert seen == [BATCH[1].dead_letter]


async def test_while_the_store_is_down_the_dead_letters_are_held_and_the_rest_goes_on() -> None:
    worker = KafkaStageWorker(Settings())

    async def down(notes: Sequence[DeadLetterFact]) -> None:
        raise SinkError("redis counters: ConnectionError")

    worker.on_dead_letters = down
    routed = await worker._note_dead_letters(list(BATCH))
    assert routed[0] == BATCH[0]
    assert isinstance(routed[1].held, SinkError) and routed[1].sends == ()


async def test_a_hook_that_fails_for_good_does_not_stop_the_dead_letters() -> None:
    worker = KafkaStageWorker(Settings())

    async def broken(notes: Sequence[DeadLetterFact]) -> None:
        raise InvoiceflowError("bad")

    worker.on_dead_letters = broken
    assert await worker._note_dead_letters(list(BATCH)) == BATCH
