"""The workers' consumer lag per stage, as the dashboard shows it: asked of Kafka, never of a worker.

The workers share one consumer group (`app_id`). A stage's lag is, over its source topic and retry topics,
the log end offset minus the group's committed offset (the log start where the group has committed nothing
yet). One admin request (OffsetFetch) and one ListOffsets round trip per reading, bounded (the clients are
opened once and kept); a reading is kept for `_FRESH_S` so a page open in many tabs costs Kafka nothing
more.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from config.settings import Settings
from config.topics import STAGES
from schemas import LagResponse
from streams.errors import DependencyUnavailable
from streams.kafka_clients import new_admin, partitions_of, reading_consumer
from streams.lanes import subscriptions

_FRESH_S = 2.0
_OPEN_TIMEOUT_S = 10.0
_ASK_TIMEOUT_S = 5.0


class GroupLag:
    """Reads the group's lag per stage (clients opened on the first reading, closed by `close`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stage_of = subscriptions(settings, list(STAGES))
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._last: tuple[float, LagResponse] | None = None
        self._lock = asyncio.Lock()

    async def read(self) -> LagResponse:
        """The lag per stage now (or as read less than `_FRESH_S` ago); `DependencyUnavailable` when Kafka
        does not answer in time."""
        async with self._lock:
            if self._last is not None and time.monotonic() - self._last[0] < _FRESH_S:
                return self._last[1]
            try:
                admin, consumer = await asyncio.wait_for(self._clients(), _OPEN_TIMEOUT_S)
                reading = await asyncio.wait_for(self._ask(admin, consumer), _ASK_TIMEOUT_S)
            except TimeoutError as exc:  # a slow answer: the clients stay for the next reading
                raise DependencyUnavailable("kafka lag: no answer in time") from exc
            except (KafkaError, OSError) as exc:
                await self.close()  # start from fresh clients next time
                raise DependencyUnavailable(f"kafka lag: {type(exc).__name__}") from exc
            self._last = (time.monotonic(), reading)
            return reading

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            admin = new_admin(self.settings)
            consumer = reading_consumer(self.settings)
            try:
                await admin.start()
                await consumer.start()
            except BaseException:  # a failed or cancelled start leaves nothing half-open behind
                await consumer.stop()
                await admin.close()
                raise
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def _ask(self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer) -> LagResponse:
        tps = await partitions_of(consumer, self._stage_of)
        committed = await admin.list_consumer_group_offsets(self.settings.app_id, partitions=tps)
        ends = await consumer.end_offsets(tps) if tps else {}
        missing = [tp for tp in tps if committed.get(tp) is None or committed[tp].offset < 0]
        starts = await consumer.beginning_offsets(missing) if missing else {}
        lag = dict.fromkeys(dict.fromkeys(self._stage_of.values()), 0)
        for tp in tps:
            done = committed.get(tp)
            base = done.offset if done is not None and done.offset >= 0 else starts.get(tp, 0)
            lag[self._stage_of[tp.topic]] += max(0, ends.get(tp, 0) - base)
        return LagResponse(group=self.settings.app_id, stages=lag, total=sum(lag.values()))

    async def close(self) -> None:
        """Close the clients (a later reading opens new ones)."""
        admin, consumer, self._admin, self._consumer = self._admin, self._consumer, None, None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()
