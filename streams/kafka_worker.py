"""The stages over plain aiokafka: one consumer and one producer per worker process, no Faust stream per hop.

A Faust hop costs ~150-200 us of CPU per event (its streams, acks and consumer thread hand-off); a plain
consume -> produce costs ~20-50 us. This loop keeps everything else the stage runner does (decode, handle,
route retries and dead letters, trace) and replaces only the hop:

* one consumer in the app's consumer group, subscribed to the source and retry topics of this worker's
  stages; each fetch is split by stage and handed to that stage's runner as one batch;
* a windowed stage (the paid extractor) takes its records as tasks, up to its window; past that its
  partitions are paused until the window drains, so it never blocks the other stages of the worker;
* retried records wait for their not-before time with their partition paused, not with the loop asleep;
* offsets are committed only past records whose outputs the producer has delivered (`OffsetBook`, then a
  producer flush, then the commit), every `commit_interval_s`, on a rebalance and on the way out: a killed
  worker loses nothing (at-least-once; event ids let downstream dedupe);
* partitions are assigned by range, so partition p of every topic goes to the same worker: an invoice's
  events (keyed by its id, on topics of equal partition counts) stay in one process from stage to stage,
  which may then reuse what it encoded and loaded one hop earlier (`codecs.remember_encoded`,
  `documents.remember_loaded`) instead of parsing and hashing it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence

from aiokafka import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from config.settings import Settings
from config.topics import STAGES, retry_topic
from streams.lanes import KafkaSend, Lane, RunnerHost, subscriptions, worker_consumer, worker_producer
from streams.offsets import OffsetBook
from streams.stage import StageRunner, not_before
from streams.topics import topic_name
from streams.tracing import make_tracer

log = logging.getLogger("invoiceflow.worker")

_DOWNSTREAM_FIRST = list(reversed(STAGES))
COMMIT_INTERVAL_S = 1.0
IDLE_POLL_MS = 100
SETTLE_TIMEOUT_S = 20.0


class KafkaStageWorker:
    """Runs stage runners over one consumer and one producer until `stop()`.

    Build it inside the event loop, make the runners with `host` (their producer is this worker's), `add`
    them, then `run()`.
    """

    def __init__(self, settings: Settings) -> None:
        s = settings
        self.settings = settings
        self.producer = worker_producer(s)
        self.consumer = worker_consumer(s)
        self.host = RunnerHost(settings, make_tracer(s.app_id, s.trace_sample_ratio), KafkaSend(self.producer))
        self.lanes: dict[str, Lane] = {}
        self.topics: dict[str, str] = {}
        self.retry_topics: set[str] = set()
        self.book = OffsetBook()
        self.held: dict[TopicPartition, deque[ConsumerRecord[bytes, bytes]]] = {}
        self.failure: BaseException | None = None
        self._stop = asyncio.Event()
        self._dispatching = asyncio.Lock()

    def add(self, stage: str, runner: StageRunner, linger_s: float = 0.0) -> None:
        """Run `runner` on its stage's source and retry topics; a batch stage may wait up to `linger_s` to
        gather a fuller batch (for a sink: fewer round trips; nothing downstream waits on it)."""
        self.lanes[stage] = Lane(runner, runner.max_in_flight, linger_s if runner.max_in_flight <= 1 else 0.0)
        self.topics.update(subscriptions(self.settings, [stage]))
        self.retry_topics.add(topic_name(self.settings, retry_topic(stage)))

    async def start(self) -> None:
        await self.producer.start()
        self.consumer.subscribe(list(self.topics), listener=_Rebalance(self))
        await self.consumer.start()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Consume until stopped (or a stage raised a bug), then finish in-flight work and commit."""
        await self.start()
        try:
            await self._loop()
        finally:
            await self._close()
        if self.failure is not None:
            raise self.failure

    async def _loop(self) -> None:
        committed_at = time.monotonic()
        while not self._stop.is_set():
            fetched = await self.consumer.getmany(timeout_ms=self._poll_ms(), max_records=self.settings.batch_size)
            async with self._dispatching:
                await self._dispatch(fetched)
                await self._release_due()
                await self._flush_lingering()
                self._flow_control()
            if time.monotonic() - committed_at >= COMMIT_INTERVAL_S:
                try:
                    await self.commit()
                except KafkaError as exc:  # a rebalance under way: its listener commits instead
                    log.info("commit deferred: %s", type(exc).__name__)
                committed_at = time.monotonic()

    async def _close(self) -> None:
        await self._flush_lingering(everything=True)
        running = [t for lane in self.lanes.values() for t in lane.running]
        if running:
            await asyncio.wait(running, timeout=SETTLE_TIMEOUT_S)
        with contextlib.suppress(KafkaError):  # what is not committed is redelivered: at-least-once
            await self.commit()
        await self.consumer.stop()
        await self.producer.stop()

    # ------------------------------------------------------------------ dispatch
    def _poll_ms(self) -> int:
        waits = [IDLE_POLL_MS / 1000]
        if self.held:
            waits.append(min(not_before(q[0].headers) for q in self.held.values()) - time.time())
        now = time.monotonic()
        waits += [lane.gathered_since + lane.linger_s - now for lane in self.lanes.values()
                  if lane.gathered and not lane.running]  # a running batch wakes nothing: the next fetch will
        return max(1, round(min(waits) * 1000))

    async def _dispatch(self, fetched: Mapping[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        by_stage: dict[str, list[ConsumerRecord[bytes, bytes]]] = {}
        for tp, records in fetched.items():
            if tp.topic in self.retry_topics:
                records = self._hold_early(tp, records)
            if records:
                by_stage.setdefault(self.topics[tp.topic], []).extend(records)
        for stage in sorted(by_stage, key=_DOWNSTREAM_FIRST.index):  # finish invoices before starting new ones
            await self._take(self.lanes[stage], by_stage[stage])

    def _hold_early(
        self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """The records of a retry partition that are due; the rest wait with the partition paused."""
        if tp in self.held:  # fetched before the pause took effect: they queue behind the held ones
            self.held[tp].extend(records)
            return []
        now = time.time()
        cut = next((i for i, r in enumerate(records) if not_before(r.headers) > now), len(records))
        if cut < len(records):
            self.held.setdefault(tp, deque()).extend(records[cut:])
            self.consumer.pause(tp)
        return records[:cut]

    async def _release_due(self) -> None:
        now = time.time()
        for tp in list(self.held):
            queue = self.held[tp]
            due: list[ConsumerRecord[bytes, bytes]] = []
            while queue and not_before(queue[0].headers) <= now:
                due.append(queue.popleft())
            if not queue:
                del self.held[tp]
                if tp in self.consumer.assignment():
                    self.consumer.resume(tp)
            if due:
                await self._take(self.lanes[self.topics[tp.topic]], due)

    async def _take(self, lane: Lane, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for r in records:
            self.book.started(TopicPartition(r.topic, r.partition), r.offset)
        if lane.window <= 1 and lane.linger_s <= 0:
            await self._process(lane, records)
        elif lane.window <= 1:
            if not lane.gathered:
                lane.gathered_since = time.monotonic()
            lane.gathered.extend(records)
            if len(lane.gathered) >= self.settings.batch_size:
                if lane.running:  # the sink is behind: wait for it rather than gather without bound
                    await asyncio.wait(lane.running)
                self._flush_behind(lane)
        else:
            lane.queue.extend(records)
            self._pump(lane)

    async def _process(self, lane: Lane, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        await lane.runner.process_messages(records)
        for r in records:
            self.book.finished(TopicPartition(r.topic, r.partition), r.offset)

    def _flush_behind(self, lane: Lane) -> None:
        """Hand a lingering lane's gathered batch to a task: the sink's round trips (PostgreSQL, Redis) overlap
        the other stages' work instead of stalling the loop. One batch at a time; the next gathers meanwhile."""
        if lane.running or not lane.gathered:
            return
        records, lane.gathered = lane.gathered, []
        task = asyncio.create_task(self._process(lane, records))
        lane.running.add(task)
        task.add_done_callback(functools.partial(self._done, lane))

    async def _flush_lingering(self, everything: bool = False) -> None:
        """Start the due batches of lingering lanes; with `everything`, handle every gathered record now."""
        now = time.monotonic()
        for lane in self.lanes.values():
            if not lane.gathered or lane.window > 1:
                continue
            if everything:
                if lane.running:
                    await asyncio.wait(lane.running)
                records, lane.gathered = lane.gathered, []
                if records:  # the batch that was running may have been the last
                    await self._process(lane, records)
            elif now - lane.gathered_since >= lane.linger_s:
                self._flush_behind(lane)

    def _pump(self, lane: Lane) -> None:
        while lane.queue and len(lane.running) < lane.window:
            task = asyncio.create_task(self._one(lane, lane.queue.popleft()))
            lane.running.add(task)
            task.add_done_callback(functools.partial(self._done, lane))

    async def _one(self, lane: Lane, record: ConsumerRecord[bytes, bytes]) -> None:
        await lane.runner.process_messages([record])
        self.book.finished(TopicPartition(record.topic, record.partition), record.offset)

    def _done(self, lane: Lane, task: asyncio.Task[None]) -> None:
        lane.running.discard(task)
        if not task.cancelled() and task.exception() is not None and self.failure is None:
            self.failure = task.exception()  # a bug in a handler stops the worker loudly, uncommitted
            log.error("stage %s crashed", lane.runner.stage, exc_info=self.failure)
            self._stop.set()
        self._pump(lane)

    def _flow_control(self) -> None:
        """Pause a windowed stage's partitions while its queue is over its window; resume once it drains."""
        for stage, lane in self.lanes.items():
            if lane.window <= 1:
                continue
            mine = [tp for tp in self.consumer.assignment() if self.topics.get(tp.topic) == stage]
            if not lane.paused and len(lane.queue) >= lane.window:
                self.consumer.pause(*mine)
                lane.paused = True
            elif lane.paused and len(lane.queue) < lane.window // 2 + 1:
                self.consumer.resume(*[tp for tp in mine if tp not in self.held])
                lane.paused = False

    # ------------------------------------------------------------------ offsets
    async def commit(self, tps: Sequence[TopicPartition] | None = None) -> None:
        """Flush the producer, then commit every partition's point that moved (of `tps`, or all)."""
        points = self.book.due(tps)
        if not points:
            return
        await self.producer.flush()
        owned = self.consumer.assignment()
        points = {tp: p for tp, p in points.items() if tp in owned}
        if points:
            await self.consumer.commit(points)
            self.book.committed(points)

    async def settle(self, revoked: Sequence[TopicPartition]) -> None:
        """Before partitions go to another worker: finish what runs on them, commit, and let the rest go.

        Queued and held records of those partitions are dropped unhandled; they stay below the commit point,
        so their new owner reads them again. A record still running after `SETTLE_TIMEOUT_S` is not committed
        past either: its new owner handles it again, and the event id makes the second result a duplicate
        downstream can drop.
        """
        async with self._dispatching:
            await self._flush_lingering(everything=True)  # still ours: handle what was gathered
            gone = set(revoked)
            for lane in self.lanes.values():
                lane.queue = deque(r for r in lane.queue if TopicPartition(r.topic, r.partition) not in gone)
            for tp in gone & set(self.held):
                del self.held[tp]
            running = [t for lane in self.lanes.values() for t in lane.running]
            if running:  # eager rebalancing revokes every partition: let all running records finish
                await asyncio.wait(running, timeout=SETTLE_TIMEOUT_S)
            with contextlib.suppress(KafkaError):
                await self.commit(revoked)
            self.book.forget(revoked)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: KafkaStageWorker) -> None:
        self._worker = worker

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        await self._worker.settle(list(revoked))

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        for lane in self._worker.lanes.values():
            lane.paused = False  # a new assignment starts unpaused
