"""Dead letters for operators: list them, inspect one, replay a selection safely, and say what was replayed.

Everything here reads the dead-letter topics without a consumer group and commits nothing, over a bounded
range: every partition from its start (or the first record at `since`) up to the end offsets taken when the
command starts (or `until_offset`). So a listing or a replay always terminates, even while the workers keep
dead-lettering (a replayed record that fails again lands past that end, for the next replay to see), and
nothing a command skipped is marked done.

A replay puts each matching dead letter's original key, value and headers back on its stage's input topic,
its retry state dropped and its replay count (`x-invoiceflow-replays`) one higher; a dead letter replayed
`max_replays` times already is refused and reported instead (the cause is evidently not fixed). What was
replayed is recorded in PostgreSQL (`streams.sinks.replays`) once Kafka acknowledged it, so replaying the
same range again does nothing unless forced; what a filtered replay did not match stays replayable.
"""

from __future__ import annotations

import getpass
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition
from aiolimiter import AsyncLimiter

from config.settings import Settings
from config.topics import STAGES, dead_letter_topic
from streams.deadletters import DeadLetterView, view_of
from streams.errors import ConfigError, DependencyUnavailable, UnreadableDeadLetter
from streams.kafka_clients import edge_producer, reading_consumer
from streams.lanes import Record
from streams.sinks.postgres import open_pool
from streams.sinks.replays import Replayed, ReplayLog, ReplayRun, Spot
from streams.topics import topic_name

_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Selection:
    """Which dead letters: the stages whose topics are read, and filters every command shares."""

    stages: tuple[str, ...] = tuple(STAGES)
    reason: str | None = None
    tenant: str | None = None
    invoice: str | None = None
    since: datetime | None = None
    until_offset: int | None = None

    def __post_init__(self) -> None:
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown:
            raise ConfigError(f"unknown stage {unknown[0]!r}; choose from {', '.join(STAGES)}")

    def matches(self, view: DeadLetterView) -> bool:
        """Whether a readable dead letter passes the filters (the range is the scan's business)."""
        return ((self.reason is None or view.reason == self.reason)
                and (self.tenant is None or view.tenant == self.tenant)
                and (self.invoice is None or view.invoice_id == self.invoice))

    def described(self) -> dict[str, object]:
        """The filter as recorded with a replay."""
        return {k: v for k, v in (("stages", list(self.stages)), ("reason", self.reason), ("tenant", self.tenant),
                                  ("invoice", self.invoice), ("since", self.since),
                                  ("until_offset", self.until_offset)) if v is not None}


@dataclass(frozen=True, slots=True)
class Scanned:
    """One record of a dead-letter topic: its stage, and its view (None: not a dead letter at all)."""

    stage: str
    record: Record
    view: DeadLetterView | None


def _consumer(settings: Settings) -> AIOKafkaConsumer:
    return reading_consumer(settings, auto_offset_reset="earliest")


async def scan(settings: Settings, selection: Selection,
               progress: Callable[[int, int], object] | None = None) -> AsyncIterator[Scanned]:
    """Every record of the selection's dead-letter topics within the bounded range, partition by partition.

    `progress(done, total)` is called as records are read.
    """
    topics = {topic_name(settings, dead_letter_topic(s)): s for s in selection.stages}
    consumer = _consumer(settings)
    try:
        await consumer.start()
    except KafkaError as exc:
        raise DependencyUnavailable(f"Kafka at {settings.kafka_bootstrap} did not answer") from exc
    try:
        ranges = await _ranges(consumer, list(topics), selection)
        total, done = sum(end - start for start, end in ranges.values()), 0
        for tp, (start, end) in sorted(ranges.items()):
            if start >= end:
                continue
            consumer.assign([tp])
            consumer.seek(tp, start)
            position = start
            while position < end:
                got = (await consumer.getmany(tp, timeout_ms=2000, max_records=500)).get(tp, [])
                if not got:  # nothing more within 2 s: the rest of the range is gone (retention) or markers
                    break
                records = [r for r in got if r.offset < end]
                for record in records:
                    yield Scanned(topics[tp.topic], record, _view(record))
                done += len(records)
                position = got[-1].offset + 1
                if progress is not None:
                    progress(done, total)
    finally:
        await consumer.stop()


def _view(record: Record) -> DeadLetterView | None:
    try:
        return view_of(record)
    except UnreadableDeadLetter:
        return None


async def _ranges(consumer: AIOKafkaConsumer, topics: Sequence[str],
                  selection: Selection) -> dict[TopicPartition, tuple[int, int]]:
    """[start, end) of every partition: end taken now (or `until_offset`), start at `since` or the beginning."""
    tps: list[TopicPartition] = []
    for topic in topics:
        parts = consumer.partitions_for_topic(topic)
        if parts is None:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic)
        if not parts:
            raise DependencyUnavailable(f"topic {topic} does not exist (run `invoiceflow topics create`)")
        tps += [TopicPartition(topic, p) for p in sorted(parts)]
    ends = await consumer.end_offsets(tps)
    starts = await consumer.beginning_offsets(tps)
    if selection.since is not None:
        at = await consumer.offsets_for_times({tp: int(selection.since.timestamp() * 1000) for tp in tps})
        starts = {tp: (found.offset if found is not None else ends[tp]) for tp, found in at.items()}
    out = {}
    for tp in tps:
        end = ends[tp] if selection.until_offset is None else min(ends[tp], selection.until_offset)
        out[tp] = (starts[tp], end)
    return out


# ------------------------------------------------------------------------------------------------ list
@dataclass(slots=True)
class Group:
    """Dead letters of one stage and reason."""

    stage: str
    reason: str
    count: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    example: str | None = None


@dataclass(slots=True)
class Listing:
    """What `dlq list` found."""

    groups: list[Group] = field(default_factory=list)
    total: int = 0
    unreadable: int = 0


async def list_dead_letters(settings: Settings, selection: Selection) -> Listing:
    """Counts by stage and reason, oldest and newest, one example invoice id each (reads, commits nothing)."""
    groups: dict[tuple[str, str], Group] = {}
    listing = Listing()
    async for item in scan(settings, selection):
        if item.view is None:
            listing.unreadable += 1
            continue
        if not selection.matches(item.view):
            continue
        listing.total += 1
        group = groups.setdefault((item.stage, item.view.reason), Group(item.stage, item.view.reason))
        when = datetime.fromtimestamp(item.record.timestamp / 1000, UTC)
        group.count += 1
        group.oldest = when if group.oldest is None else min(group.oldest, when)
        group.newest = when if group.newest is None else max(group.newest, when)
        group.example = group.example or item.view.invoice_id
    listing.groups = sorted(groups.values(), key=lambda g: (list(STAGES).index(g.stage), -g.count, g.reason))
    return listing


async def find(settings: Settings, selection: Selection, spot: Spot | None = None) -> list[Scanned]:
    """The dead letters at `spot` (topic, partition, offset), or matching the selection."""
    if spot is not None:
        topic, partition, offset = spot
        stage = next((s for s in selection.stages if topic_name(settings, dead_letter_topic(s)) == topic), None)
        if stage is None:
            raise ConfigError(f"{topic} is not a dead-letter topic of this pipeline")
        narrowed = Selection((stage,), until_offset=offset + 1)
        return [item async for item in scan(settings, narrowed)
                if (item.record.partition, item.record.offset) == (partition, offset)]
    return [item async for item in scan(settings, selection) if item.view and selection.matches(item.view)]


# ------------------------------------------------------------------------------------------------ replay
@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """How to replay: for real or not, how many, how fast, how often at most, again or not, by whom."""

    dry_run: bool = False
    limit: int | None = None
    rate: float | None = None
    max_replays: int = 3
    force: bool = False
    operator: str = field(default_factory=getpass.getuser)


@dataclass(slots=True)
class ReplayReport:
    """What a replay did (for a dry run: would have done)."""

    replay_id: str
    dry_run: bool
    scanned: int = 0
    matched: int = 0
    replayed: int = 0
    already: int = 0
    unreadable: int = 0
    refused: list[tuple[Spot, str | None, int]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"scanned": self.scanned, "matched": self.matched, "replayed": self.replayed,
                "already": self.already, "refused": len(self.refused), "unreadable": self.unreadable}


async def replay(settings: Settings, selection: Selection, options: ReplayOptions,
                 progress: Callable[[int, int], object] | None = None) -> ReplayReport:
    """Put the selected dead letters of one stage back on its input topic (see the module docstring)."""
    if len(selection.stages) != 1:
        raise ConfigError("a replay names one stage (--stage)")
    stage = selection.stages[0]
    target = topic_name(settings, STAGES[stage][0])
    report = ReplayReport(uuid.uuid4().hex[:12], options.dry_run)
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 2)
    log = ReplayLog(pool)
    producer = edge_producer(settings)
    limiter = AsyncLimiter(options.rate, 1.0) if options.rate else None
    outcome = "failed"
    try:
        await log.begin(report.replay_id, settings.topic_prefix, options.operator, stage, selection.described(),
                        options.dry_run, datetime.now(UTC))
        await producer.start()
        chunk: list[DeadLetterView] = []
        async for item in scan(settings, selection, progress):
            report.scanned += 1
            if item.view is None or item.view.value is None:
                report.unreadable += 1
            elif selection.matches(item.view) and (options.limit is None or report.matched < options.limit):
                report.matched += 1
                chunk.append(item.view)
                if len(chunk) >= _CHUNK:
                    await _replay_chunk(chunk, target, producer, log, limiter, options, report)
                    chunk = []
        await _replay_chunk(chunk, target, producer, log, limiter, options, report)
        outcome = "done"
    except KafkaError as exc:
        raise DependencyUnavailable(f"replay failed: {type(exc).__name__}") from exc
    finally:
        try:
            await log.finish(report.replay_id, report.counts(), outcome, datetime.now(UTC))
        finally:
            await producer.stop()
            await pool.close()
    return report


async def _replay_chunk(views: Sequence[DeadLetterView], target: str, producer: AIOKafkaProducer, log: ReplayLog,
                        limiter: AsyncLimiter | None, options: ReplayOptions, report: ReplayReport) -> None:
    spots = [(v.at.topic, v.at.partition, v.at.offset) for v in views]
    done_before = set() if options.force else await log.already(spots)
    sending: list[tuple[Any, Replayed]] = []
    for view, spot in zip(views, spots, strict=True):
        if spot in done_before:
            report.already += 1
        elif view.replays >= options.max_replays:
            report.refused.append((spot, view.invoice_id, view.replays))
        elif options.dry_run:
            report.replayed += 1
        else:
            if limiter is not None:
                await limiter.acquire()
            future = await producer.send(target, view.value, key=view.key, headers=view.replay_headers())
            sending.append((future, Replayed(spot, view.tenant, view.invoice_id, view.reason, view.replays + 1)))
    for future, _ in sending:
        await future  # every replay is acknowledged before it is recorded as done
    await log.record(report.replay_id, [r for _, r in sending], datetime.now(UTC))
    report.replayed += len(sending)


async def history(settings: Settings, limit: int, stage: str | None) -> list[ReplayRun]:
    """The latest replay runs (`dlq history`)."""
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
    try:
        return await ReplayLog(pool).history(settings.topic_prefix, limit, stage)
    finally:
        await pool.close()


def parse_since(text: str | None, now: float | None = None) -> datetime | None:
    """`--since`: an ISO 8601 time, or an age like 30m, 2h, 7d (None: from the beginning)."""
    if not text:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[-1:] in units and text[:-1].isdigit():
        return datetime.fromtimestamp((now or time.time()) - int(text[:-1]) * units[text[-1]], UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"--since {text!r}: an ISO time (2026-12-01T08:00) or an age (30m, 2h, 7d)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
