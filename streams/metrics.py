"""The Kafka worker's Prometheus metrics, read from what the worker already counts, at scrape time.

Nothing here runs per record. The stage runners keep plain counts (`StageStats`), the shells keep theirs
(`Observations`), the outbox, the parking and the paid extractor's endpoints know their state; a scrape
takes a `WorkerView` of all that (`view_of`) and turns it into metric families (`families`, pure, tested
on its own). The one figure that costs a request, the consumer lag, is computed when a scrape comes in
(`consumer_lag`): the log end offsets of the worker's partitions (one bounded ListOffsets round trip;
the last fetched high watermarks if Kafka does not answer in time) minus the consumer's positions.

Each worker serves its own `CollectorRegistry` (never prometheus-client's global one), with the process'
CPU, memory and file descriptors beside the pipeline's figures. Names:

    invoiceflow_stage_events_total{stage, outcome}   processed, produced, retried, dead_lettered, held
    invoiceflow_stage_failures_total{stage, reason}  failed records by reason code (each try counts)
    invoiceflow_stage_batch_duration_seconds{stage}  histogram: one batch through its stage
    invoiceflow_consumer_lag{stage}                  log end offset - position, over the stage's partitions
    invoiceflow_assigned_partitions{stage}           partitions of the stage's topics this worker holds
    invoiceflow_stage_outage{stage}                  1 while the stage's PostgreSQL or Redis is down
    invoiceflow_end_to_end_latency_seconds           histogram: scored_at - received_at, at the aggregate stage
    invoiceflow_undelivered_records                  records with outputs Kafka has not acknowledged yet
    invoiceflow_parked_records                       records waiting in place (a retry's time, an outage)
    invoiceflow_paid_documents_total{source}         paid readings: submit, resume, reuse
    invoiceflow_paid_pages_total, invoiceflow_paid_cost_usd_total
    invoiceflow_paid_calls_total{endpoint, kind}     calls sent: analyze, get (result)
    invoiceflow_paid_quota_used_ratio{endpoint, kind} calls in the last window / the window's limit
    invoiceflow_paid_in_flight{endpoint}             documents on the endpoint now
    invoiceflow_paid_circuit_state{endpoint, state}  1 for the breaker's state: closed, open, half_open
    invoiceflow_worker_info{app_id, stages, pid}     1
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from streams.azure.breaker import Phase
from streams.stage import StageStats
from streams.tally import Buckets, Observations

if TYPE_CHECKING:
    from streams.azure.client import AzureExtractor
    from streams.kafka_worker import KafkaStageWorker

POSITION_TIMEOUT_S = 0.05
_OUTCOMES = ("processed", "produced", "retried", "dead_lettered", "held")


@dataclass(frozen=True, slots=True)
class StageView:
    """One stage of the worker at scrape time."""

    stage: str
    stats: StageStats
    partitions: int
    lag: int | None
    outage: bool


@dataclass(frozen=True, slots=True)
class EndpointView:
    """One paid endpoint at scrape time: calls sent and used in the window, per quota kind."""

    name: str
    in_flight: int
    phase: Phase
    calls: Mapping[str, int]
    used: Mapping[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class WorkerView:
    """Everything a scrape reports about the worker's pipeline."""

    app_id: str
    stages: tuple[StageView, ...]
    undelivered: int
    parked: int
    observations: Observations
    endpoints: tuple[EndpointView, ...] = ()


def families(view: WorkerView) -> Iterator[Metric]:
    """The metric families of a view (see the module docstring for the names)."""
    info = GaugeMetricFamily("invoiceflow_worker_info", "This worker: app id (consumer group), stages, pid.",
                             labels=["app_id", "stages", "pid"])
    info.add_metric([view.app_id, ",".join(s.stage for s in view.stages), str(os.getpid())], 1)
    yield info
    events = CounterMetricFamily("invoiceflow_stage_events", "Records by stage and outcome (produced: messages "
                                 "made).", labels=["stage", "outcome"])
    failures = CounterMetricFamily("invoiceflow_stage_failures", "Failed records by stage and reason code.",
                                   labels=["stage", "reason"])
    batches = HistogramMetricFamily("invoiceflow_stage_batch_duration_seconds",
                                    "Time one batch takes through its stage.", labels=["stage"])
    lag = GaugeMetricFamily("invoiceflow_consumer_lag", "Log end offset minus position, summed over the stage's "
                            "partitions (source and retry topics).", labels=["stage"])
    partitions = GaugeMetricFamily("invoiceflow_assigned_partitions", "Partitions of the stage's topics held.",
                                   labels=["stage"])
    outage = GaugeMetricFamily("invoiceflow_stage_outage", "1 while the stage's records wait for PostgreSQL or "
                               "Redis to answer again.", labels=["stage"])
    for s in view.stages:
        for outcome in _OUTCOMES:
            events.add_metric([s.stage, outcome], getattr(s.stats, outcome))
        for reason, count in sorted(s.stats.failures.items()):
            failures.add_metric([s.stage, reason], count)
        _histogram(batches, [s.stage], s.stats.batch_seconds)
        if s.lag is not None:
            lag.add_metric([s.stage], s.lag)
        partitions.add_metric([s.stage], s.partitions)
        outage.add_metric([s.stage], int(s.outage))
    yield from (events, failures, batches, lag, partitions, outage)
    latency = HistogramMetricFamily("invoiceflow_end_to_end_latency_seconds",
                                    "An invoice's time from receipt to score, observed as the aggregate stage "
                                    "records it.")
    _histogram(latency, [], view.observations.end_to_end)
    yield latency
    yield GaugeMetricFamily("invoiceflow_undelivered_records", "Records whose outputs Kafka has not acknowledged "
                            "yet.", value=view.undelivered)
    yield GaugeMetricFamily("invoiceflow_parked_records", "Records waiting in place for a retry's time or the "
                            "end of an outage.", value=view.parked)
    yield from _paid(view)


def _paid(view: WorkerView) -> Iterator[Metric]:
    seen = view.observations
    documents = CounterMetricFamily("invoiceflow_paid_documents", "Paid readings by how they were obtained.",
                                    labels=["source"])
    for source, count in sorted(seen.paid_documents.items()):
        documents.add_metric([source], count)
    yield documents
    yield CounterMetricFamily("invoiceflow_paid_pages", "Pages paid for (submitted or resumed).",
                              value=seen.paid_pages)
    yield CounterMetricFamily("invoiceflow_paid_cost_usd", "Cost of the pages paid for.", value=seen.paid_usd)
    calls = CounterMetricFamily("invoiceflow_paid_calls", "Calls sent to a paid endpoint, by quota.",
                                labels=["endpoint", "kind"])
    used = GaugeMetricFamily("invoiceflow_paid_quota_used_ratio", "Calls in the last quota window over the "
                             "window's limit (this process).", labels=["endpoint", "kind"])
    in_flight = GaugeMetricFamily("invoiceflow_paid_in_flight", "Documents on the endpoint now.",
                                  labels=["endpoint"])
    circuit = GaugeMetricFamily("invoiceflow_paid_circuit_state", "1 for the endpoint's circuit breaker state.",
                                labels=["endpoint", "state"])
    for e in view.endpoints:
        for kind, count in e.calls.items():
            calls.add_metric([e.name, kind], count)
        for kind, (n, limit) in e.used.items():
            used.add_metric([e.name, kind], n / limit if limit else 0.0)
        in_flight.add_metric([e.name], e.in_flight)
        for phase in Phase:
            circuit.add_metric([e.name, phase.value], int(e.phase is phase))
    yield from (calls, used, in_flight, circuit)


def _histogram(family: HistogramMetricFamily, labels: list[str], buckets: Buckets) -> None:
    family.add_metric(labels, buckets.cumulative(), buckets.total)


def view_of(worker: KafkaStageWorker, observations: Observations, extractor: AzureExtractor | None,
            lag: Mapping[str, int]) -> WorkerView:
    """The worker's state now (reads attributes only: no I/O, no await)."""
    owned = worker.consumer.assignment() if worker.started else set()
    held: dict[str, int] = {}
    for tp in owned:
        stage = worker.topics.get(tp.topic)
        if stage is not None:
            held[stage] = held.get(stage, 0) + 1
    stages = tuple(StageView(stage, lane.runner.stats, held.get(stage, 0), lag.get(stage), lane.outage_tries > 0)
                   for stage, lane in worker.lanes.items())
    endpoints = () if extractor is None else tuple(
        EndpointView(e.name, e.in_flight, e.breaker.phase,
                     {"analyze": e.analyze_gate.sent_total, "get": e.get_gate.sent_total},
                     {"analyze": e.analyze_gate.usage(), "get": e.get_gate.usage()})
        for e in extractor.pool.endpoints)
    return WorkerView(worker.settings.app_id, stages, worker.outbox.undelivered, len(worker.parking), observations,
                      endpoints)


async def consumer_lag(consumer: AIOKafkaConsumer, topics: Mapping[str, str], timeout_s: float) -> dict[str, int]:
    """Per stage, the log end offset minus the consumer's position, summed over its assigned partitions.

    The end offsets are asked of Kafka (bounded by `timeout_s`); if it does not answer in time, the high
    watermarks of the last fetches stand in. A partition not fetched yet (just assigned: its position may
    still be unknown) counts for nothing until its first fetch.
    """
    owned = [tp for tp in consumer.assignment() if tp.topic in topics]
    if not owned:
        return {}
    try:
        ends: Mapping[TopicPartition, int | None] = await asyncio.wait_for(consumer.end_offsets(owned), timeout_s)
    except (KafkaError, TimeoutError):
        ends = _highwaters(consumer, owned)
    still = consumer.assignment()
    fetched = [tp for tp in owned if tp in still and consumer.highwater(tp) is not None]  # a position known
    positions = await asyncio.gather(*(_position(consumer, tp) for tp in fetched))
    lag: dict[str, int] = dict.fromkeys({topics[tp.topic] for tp in owned}, 0)
    for tp, position in zip(fetched, positions, strict=True):
        end = ends.get(tp)
        stage = topics[tp.topic]
        lag[stage] = lag.get(stage, 0) + (max(0, end - position) if end is not None and position is not None else 0)
    return lag


def _highwaters(consumer: AIOKafkaConsumer, tps: Iterable[TopicPartition]) -> dict[TopicPartition, int | None]:
    still = consumer.assignment()
    return {tp: consumer.highwater(tp) for tp in tps if tp in still}


async def _position(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    """The next offset to fetch (None: not known yet, or the partition went meanwhile)."""
    with contextlib.suppress(KafkaError, TimeoutError):
        position: int = await asyncio.wait_for(consumer.position(tp), POSITION_TIMEOUT_S)
        return position
    return None


class ExtractorSource(Protocol):
    """Whatever may hold the worker's paid extractor once a stage built it (the worker's `Resources`)."""

    @property
    def paid(self) -> AzureExtractor | None: ...


class WorkerMetrics:
    """The registry one Kafka worker serves at /metrics (its own, never the process-global one)."""

    def __init__(self, worker: KafkaStageWorker, observations: Observations,
                 extractor: ExtractorSource, lag_timeout_s: float) -> None:
        self._worker = worker
        self._observations = observations
        self._extractor = extractor
        self._lag_timeout_s = lag_timeout_s
        self._lag: dict[str, int] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self.registry)
        self.registry.register(self)

    async def render(self) -> bytes:
        """The exposition text: the lag asked of Kafka now, everything else as the worker counted it."""
        if self._worker.started:
            self._lag = await consumer_lag(self._worker.consumer, self._worker.topics, self._lag_timeout_s)
        return generate_latest(self.registry)

    def collect(self) -> Iterator[Metric]:
        """prometheus-client's collector protocol (called by `generate_latest`)."""
        return families(view_of(self._worker, self._observations, self._extractor.paid, self._lag))

