"""The stages over plain aiokafka: one consumer and one producer per worker process, no Faust stream per hop.

A Faust hop costs ~150-200 us of CPU per event (its streams, acks and consumer thread hand-off); a plain
consume -> produce costs ~20-50 us. This loop keeps everything else the stage runner does (decode, handle,
route retries and dead letters, trace) and replaces only the hop:

* one consumer in the app's consumer group, subscribed to the source and retry topics of this worker's
  stages; each fetch is split by stage and handed to that stage's runner as one batch;
* a windowed stage (the paid extractor) takes its records as tasks, up to its window; past that its
  partitions are paused until the window drains, so it never blocks the other stages of the worker;
* retried records wait for their not-before time parked in their partition (paused), not with the loop
  asleep; so do the records of a stage whose PostgreSQL or Redis is down (an `outage`), retried in place
  with a growing backoff for as long as the outage lasts: the worker lives and its other stages go on;
* a record is finished only when Kafka acknowledged everything its stage produced for it (`Outbox`): a send
  that failed is sent again, with fetching paused, until it goes through; offsets are committed only past
  finished records (`OffsetBook`), every `commit_interval_s`, on a rebalance and on the way out: neither a
  killed worker nor a broker outage loses anything (at-least-once; event ids let downstream dedupe);
* a record the client cannot decode is dead-lettered and skipped (`Intake`), not a crash on every restart;
* partitions are assigned by range, so partition p of every topic goes to the same worker: an invoice's
  events (keyed by its id, on topics of equal partition counts) stay in one process from stage to stage,
  which may then reuse what it encoded, loaded and parsed one hop earlier (the memos it owns and passes to
  its stages, `agents.context.Memos`) instead of parsing and hashing it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiokafka import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from config.settings import Settings
from config.topics import STAGES, dead_letter_topic, retry_topic
from streams.delivery import Outbox
from streams.errors import InvoiceflowError, OutputRejected, UnreadableRecord
from streams.headers import latest_not_before
from streams.intake import Intake
from streams.kafka_clients import worker_consumer, worker_producer
from streams.lanes import Lane, Pauses, Record, subscriptions
from streams.offsets import OffsetBook
from streams.parking import Parking
from streams.sinks import DeadLetterFact
from streams.stage import Outbound, Routed, StageRunner
from streams.topics import topic_name
from streams.tracing import make_tracing

log = logging.getLogger("invoiceflow.worker")

DeadLetterHook = Callable[[Sequence[DeadLetterFact]], Awaitable[None]]

_DOWNSTREAM_FIRST = list(reversed(STAGES))
COMMIT_INTERVAL_S = 1.0
COMMIT_TIMEOUT_S = 10.0
IDLE_POLL_MS = 100
SETTLE_TIMEOUT_S = 20.0
FIRST_OUTAGE_WAIT_S = 0.5


def _tp(record: Record) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


class KafkaStageWorker:
    """Runs stage runners over one consumer and one producer until `stop()`.

    Build it inside the event loop, make the runners with `host`, `add` them, then `run()`.
    """

    def __init__(self, settings: Settings) -> None:
        s = settings
        self.settings = settings
        self.producer = worker_producer(s)
        self.consumer = worker_consumer(s)
        self.tracing = make_tracing(s, "invoiceflow-worker", s.app_id)
        self.lanes: dict[str, Lane] = {}
        self.topics: dict[str, str] = {}
        self.retry_topics: set[str] = set()
        self.book = OffsetBook()
        self.pauses = Pauses(self.consumer)
        self.parking = Parking(self.pauses, self._latest_not_before)
        self.outbox = Outbox(self.producer, self._delivered, self._replace, s.outage_max_wait_s)
        self.intake = Intake(self.consumer, self._unreadable)
        self.on_dead_letters: DeadLetterHook | None = None
        """Counts and records each batch's dead letters before they are sent (exactly once per origin)."""
        self.failure: BaseException | None = None
        self.started = False
        self.group_state = "joining"
        """Where the consumer is in its group: `joining`, `assigned` (partitions, perhaps none) or `rebalancing`."""
        self.group_since = time.monotonic()
        self._stop = asyncio.Event()
        self._dispatching = asyncio.Lock()

    def add(self, stage: str, runner: StageRunner, linger_s: float = 0.0) -> None:
        """Run `runner` on its stage's source and retry topics; a batch stage may wait up to `linger_s` to
        gather a fuller batch (for a sink: fewer round trips; nothing downstream waits on it)."""
        runner.hold_outages = True
        self.lanes[stage] = Lane(runner, runner.max_in_flight, linger_s if runner.max_in_flight <= 1 else 0.0)
        self.topics.update(subscriptions(self.settings, [stage]))
        self.retry_topics |= {topic_name(self.settings, retry_topic(stage, tier))
                              for tier in range(1, len(self.settings.retry_delays_s) + 1)}

    async def start(self) -> None:
        await self.producer.start()
        self.consumer.subscribe(list(self.topics), listener=_Rebalance(self))
        await self.consumer.start()
        self.started = True

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> asyncio.Event:
        """Set once the worker was asked to stop."""
        return self._stop

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
            fetched = await self.intake.fetch(self._poll_ms(), self.settings.batch_size)
            async with self._dispatching:
                await self._dispatch(fetched)
                await self._release_due()
                await self._flush_lingering()
                await self.outbox.resend_due()
                self._flow_control()
            if time.monotonic() - committed_at >= COMMIT_INTERVAL_S:
                try:  # bounded: with the broker away, aiokafka would wait for its coordinator indefinitely
                    await asyncio.wait_for(self.commit(), COMMIT_TIMEOUT_S)
                except (KafkaError, TimeoutError) as exc:  # a rebalance under way, or the broker away: later
                    log.info("commit deferred: %s", type(exc).__name__)
                committed_at = time.monotonic()

    async def _close(self) -> None:
        """Finish what can be finished within the shutdown budget, commit it, and close the clients."""
        deadline = time.monotonic() + self.settings.shutdown_timeout_s * 0.8

        def left() -> float:
            return max(0.1, deadline - time.monotonic())

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._flush_lingering(everything=True), left())
        running = [t for lane in self.lanes.values() for t in lane.running]
        if running:
            await asyncio.wait(running, timeout=left())
        if not await self.outbox.settled(left()):
            log.warning("stopping with %d record(s) not yet delivered: they are read again on restart",
                        self.outbox.undelivered)
        with contextlib.suppress(KafkaError, TimeoutError):  # what is not committed is redelivered
            await asyncio.wait_for(self.commit(), left())
        with contextlib.suppress(KafkaError, TimeoutError):
            await asyncio.wait_for(self.consumer.stop(), left())
        with contextlib.suppress(KafkaError, TimeoutError):
            await asyncio.wait_for(self.producer.stop(), left())
        with contextlib.suppress(TimeoutError):  # the spans still buffered go to the exporters
            await asyncio.wait_for(self.tracing.aclose(left()), left())

    # ------------------------------------------------------------------ dispatch
    def _poll_ms(self) -> int:
        waits = [IDLE_POLL_MS / 1000]
        due = self.parking.next_due()
        if due is not None:
            waits.append(due - time.time())
        resend = self.outbox.resend_due_in()
        if resend is not None:
            waits.append(resend)
        now = time.monotonic()
        waits += [lane.gathered_since + lane.linger_s - now for lane in self.lanes.values()
                  if lane.gathered and not lane.running]  # a running batch wakes nothing: the next fetch will
        return max(1, round(min(waits) * 1000))

    async def _dispatch(self, fetched: Mapping[TopicPartition, list[Record]]) -> None:
        by_stage: dict[str, list[Record]] = {}
        for tp, records in fetched.items():
            records = self.parking.fetched(tp, records, tp.topic in self.retry_topics)
            if records:
                by_stage.setdefault(self.topics[tp.topic], []).extend(records)
        await self._take_by_stage(by_stage)

    async def _release_due(self) -> None:
        by_stage: dict[str, list[Record]] = {}
        for tp, records in self.parking.due().items():
            by_stage.setdefault(self.topics[tp.topic], []).extend(records)
        await self._take_by_stage(by_stage)

    async def _take_by_stage(self, by_stage: dict[str, list[Record]]) -> None:
        for stage in sorted(by_stage, key=_DOWNSTREAM_FIRST.index):  # finish invoices before starting new ones
            await self._take(self.lanes[stage], by_stage[stage])

    async def _take(self, lane: Lane, records: list[Record]) -> None:
        for r in records:
            self.book.started(_tp(r), r.offset)
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

    async def _process(self, lane: Lane, records: list[Record]) -> None:
        """Route a batch through the lane's runner, then deliver what it made, or park what waits an outage."""
        routed = await self._note_dead_letters(await lane.runner.route(records))
        held = [(r, x.held) for r, x in zip(records, routed, strict=True) if x.held is not None]
        if held:
            self._outage(lane, [r for r, _ in held], held[0][1])
        elif lane.outage_tries:
            log.warning("stage %s: its dependency answers again after %.0f s", lane.runner.stage,
                        time.monotonic() - lane.outage_since)
            lane.outage_tries = 0
        for record, x in zip(records, routed, strict=True):
            if x.held is None:
                await self.outbox.deliver(record, x.sends)

    async def _note_dead_letters(self, routed: list[Routed]) -> list[Routed]:
        """Hand the batch's dead letters to `on_dead_letters` before they are sent. While the store behind it
        is down (an outage) they are held like any record that needs it: nothing is sent, so nothing is
        sent twice; the next try dead-letters them again and counts them then (once per origin)."""
        notes = [x.dead_letter for x in routed if x.dead_letter is not None]
        if not notes or self.on_dead_letters is None:
            return routed
        try:
            await self.on_dead_letters(notes)
        except InvoiceflowError as exc:
            if not exc.outage:
                log.warning("dead letters not counted (%s): they are sent all the same", exc.code)
                return routed
            return [Routed(held=exc) if x.dead_letter is not None else x for x in routed]
        return routed

    def _outage(self, lane: Lane, records: list[Record], exc: InvoiceflowError) -> None:
        """Park records whose stage found a dependency down; each try in a row waits twice as long."""
        wait_s = min(self.settings.outage_max_wait_s, FIRST_OUTAGE_WAIT_S * 2 ** lane.outage_tries)
        if lane.outage_tries == 0:
            lane.outage_since = time.monotonic()
            log.warning("stage %s: %s (%s): %d record(s) wait in place, next try in %.1f s", lane.runner.stage,
                        exc.code, exc, len(records), wait_s)
        lane.outage_tries += 1
        owned = self.consumer.assignment()  # a partition given up meanwhile: its next owner reads it again
        self.parking.hold([r for r in records if _tp(r) in owned], time.time() + wait_s)

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
            task = asyncio.create_task(self._process(lane, [lane.queue.popleft()]))
            lane.running.add(task)
            task.add_done_callback(functools.partial(self._done, lane))

    def _done(self, lane: Lane, task: asyncio.Task[None]) -> None:
        lane.running.discard(task)
        if not task.cancelled() and task.exception() is not None and self.failure is None:
            self.failure = task.exception()  # a bug in a handler stops the worker loudly, uncommitted
            log.error("stage %s crashed", lane.runner.stage, exc_info=self.failure)
            self._stop.set()
        self._pump(lane)

    def _flow_control(self) -> None:
        """Pause a windowed stage's partitions while its queue is over its window; resume once it drains. Pause
        everything while Kafka does not take what was sent, or too much waits for its acknowledgement."""
        for stage, lane in self.lanes.items():
            if lane.window <= 1:
                continue
            mine = [tp for tp in self.consumer.assignment() if self.topics.get(tp.topic) == stage]
            if not lane.paused and len(lane.queue) >= lane.window:
                self.pauses.add("window", mine)
                lane.paused = True
            elif lane.paused and len(lane.queue) < lane.window // 2 + 1:
                self.pauses.remove("window", mine)
                lane.paused = False
        backlog = self.outbox.failing or self.outbox.undelivered > self.settings.batch_size * 20
        if backlog:
            self.pauses.add("delivery", self.consumer.assignment())
        elif self.pauses.paused_for("delivery"):
            self.pauses.remove("delivery")

    # ------------------------------------------------------------------ the outbox's and fetcher's calls
    def _latest_not_before(self) -> float:
        return latest_not_before(time.time(), self.settings.retry_delays_s)

    def _delivered(self, record: Record) -> None:
        self.book.finished(_tp(record), record.offset)

    def _replace(self, record: Record, out: Outbound, exc: KafkaError) -> Sequence[Outbound]:
        """What to send instead of a message Kafka refused for good: the record's dead letter. A refused dead
        letter is given up (logged), and the record is left on its source topic at its offset."""
        runner = self.lanes[self.topics[record.topic]].runner
        if out.topic == topic_name(self.settings, dead_letter_topic(runner.stage)):
            log.error("stage %s: Kafka refused the dead letter of %s@%d:%d (%s); the record stays on its topic",
                      runner.stage, record.topic, record.partition, record.offset, type(exc).__name__)
            return ()
        why = OutputRejected(f"Kafka refused the stage's output ({type(exc).__name__})")
        return runner.rejected(record, why).sends

    async def _unreadable(self, tp: TopicPartition, offset: int, exc: BaseException) -> None:
        runner = self.lanes[self.topics[tp.topic]].runner
        why = UnreadableRecord(f"Kafka's client cannot decode the record ({type(exc).__name__})")
        routed: Routed = runner.unreadable(tp.topic, tp.partition, offset, why)
        if routed.dead_letter is not None and self.on_dead_letters is not None:
            try:  # recorded and counted like any dead letter; it cannot wait in place, so it is sent regardless
                await self.on_dead_letters([routed.dead_letter])
            except InvoiceflowError as exc:
                log.warning("the dead letter of an unreadable record was not counted (%s)", exc.code)
        stand_in: Record = ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, None, None, None, -1, -1, [])
        self.book.started(tp, offset)
        await self.outbox.deliver(stand_in, routed.sends)

    # ------------------------------------------------------------------ offsets
    async def commit(self, tps: Sequence[TopicPartition] | None = None) -> None:
        """Commit every partition's point that moved (of `tps`, or all): only past delivered records."""
        owned = self.consumer.assignment()
        points = {tp: p for tp, p in self.book.due(tps).items() if tp in owned}
        if points:
            await self.consumer.commit(points)
            self.book.committed(points)

    async def settle(self, revoked: Sequence[TopicPartition]) -> None:
        """Before partitions go to another worker: finish what runs on them, commit, and let the rest go.

        Queued and parked records of those partitions are dropped unhandled; they stay below the commit point,
        so their new owner reads them again. A record still running or undelivered after `SETTLE_TIMEOUT_S` is
        not committed past either: its new owner handles it again, and the event id makes the second result a
        duplicate downstream can drop.
        """
        async with self._dispatching:
            await self._flush_lingering(everything=True)  # still ours: handle what was gathered
            gone = set(revoked)
            for lane in self.lanes.values():
                lane.queue = deque(r for r in lane.queue if _tp(r) not in gone)
            running = [t for lane in self.lanes.values() for t in lane.running]
            if running:  # eager rebalancing revokes every partition: let all running records finish
                await asyncio.wait(running, timeout=SETTLE_TIMEOUT_S)
            self.parking.drop(gone)
            await self.outbox.settled(SETTLE_TIMEOUT_S, gone)
            with contextlib.suppress(KafkaError):
                await self.commit(revoked)
            self.outbox.forget(gone)
            self.intake.forget(gone)
            self.book.forget(revoked)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: KafkaStageWorker) -> None:
        self._worker = worker

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        self._worker.group_state, self._worker.group_since = "rebalancing", time.monotonic()
        await self._worker.settle(list(revoked))

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        self._worker.group_state, self._worker.group_since = "assigned", time.monotonic()
        self._worker.pauses.reset()  # a new assignment starts unpaused
        for lane in self._worker.lanes.values():
            lane.paused = False
