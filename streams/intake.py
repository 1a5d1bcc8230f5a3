"""Taking records in from Kafka, surviving a record Kafka's client cannot decode.

aiokafka decodes a record's header keys as UTF-8 while it hands records out; one record whose header key is
not UTF-8 (anyone who can write to a topic can send one) makes every `getmany` raise, so a worker that let
the error out died on that record at every restart and the partition never moved again. A corrupt batch
(CRC) does the same. `Intake.fetch` catches that, puts every partition back just after the last record it
handed out (the failed call may have read past good records), reads the partitions that have data one
record at a time until one fails to decode, hands the good records on as usual, reports the bad one to the
worker (which dead-letters it, code `unreadable_record`, with its topic, partition and offset) and moves
past it. An error it cannot pin on a record is raised again: that is a bug, and it must stop the worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CorruptRecordException, KafkaError
from aiokafka.structs import TopicPartition

from streams.lanes import Record

log = logging.getLogger("invoiceflow.intake")

Fetched = dict[TopicPartition, list[Record]]
Unreadable = Callable[[TopicPartition, int, BaseException], Awaitable[None]]
SEARCH_BUDGET_S = 60.0
_STEP_WAIT_MS = 2000


class Intake:
    """`getmany` over the worker's consumer, remembering how far each partition was handed out."""

    def __init__(self, consumer: AIOKafkaConsumer, unreadable: Unreadable) -> None:
        """`unreadable(tp, offset, error)` is awaited for each record that cannot be decoded."""
        self._consumer = consumer
        self._unreadable = unreadable
        self._handed_to: dict[TopicPartition, int] = {}

    async def fetch(self, timeout_ms: int, max_records: int) -> Fetched:
        """The next records of the partitions not paused (empty while the broker cannot be reached)."""
        try:
            fetched: Fetched = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        except CorruptRecordException as exc:
            fetched = await self._search(exc)
        except KafkaError as exc:  # the broker or the group: the consumer reconnects by itself
            log.warning("fetch failed (%s); trying again", type(exc).__name__)
            await asyncio.sleep(min(timeout_ms, 500) / 1000)
            return {}
        except Exception as exc:  # noqa: BLE001 - the client could not decode a record: find it, or raise
            fetched = await self._search(exc)
        self._note(fetched)
        return fetched

    def forget(self, tps: Iterable[TopicPartition]) -> None:
        """Partitions this worker no longer owns."""
        for tp in tps:
            self._handed_to.pop(tp, None)

    def _note(self, fetched: Fetched) -> None:
        for tp, records in fetched.items():
            if records:
                self._handed_to[tp] = records[-1].offset + 1

    async def _search(self, error: BaseException) -> Fetched:
        consumer = self._consumer
        active = sorted(consumer.assignment() - consumer.paused())
        for tp in active:
            if tp in self._handed_to:
                consumer.seek(tp, self._handed_to[tp])
            else:
                committed = await consumer.committed(tp)
                if committed is None:
                    await consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, committed)
        ends = await consumer.end_offsets(active) if active else {}
        good: Fetched = {}
        deadline = time.monotonic() + SEARCH_BUDGET_S
        for tp in active:
            while time.monotonic() < deadline and await consumer.position(tp) < ends[tp]:
                try:
                    got = await consumer.getmany(tp, timeout_ms=_STEP_WAIT_MS, max_records=1)
                except Exception as exc:  # noqa: BLE001 - this partition's next record is the one
                    offset = await consumer.position(tp)
                    log.error("record %s:%d:%d cannot be decoded (%s): dead-lettered and skipped", tp.topic,
                              tp.partition, offset, type(exc).__name__)
                    await self._unreadable(tp, offset, exc)
                    consumer.seek(tp, offset + 1)
                    self._handed_to[tp] = offset + 1
                    return good
                if not got:
                    break
                good.setdefault(tp, []).extend(got.get(tp, []))
                self._note(got)
        raise error  # no record to blame: not a poison record but a bug, which must stop the worker
