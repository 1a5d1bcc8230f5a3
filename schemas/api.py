"""The contracts of the HTTP API (`invoiceflow serve`, under /api/v1): what its answers look like.

They are versioned by the path (a breaking change is /api/v2), frozen and strict like the events, and
every field is described, so the OpenAPI document the service publishes is the reference a client needs.
Counts come from the Redis metrics tables (one hash per tenant and window bucket); an invoice's journey
comes from the PostgreSQL records.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from schemas._base import Contract
from schemas._common import Reason


class LatencyFigures(Contract):
    """End-to-end latency (received_at to scored_at) of the invoices scored, from a fixed-bucket histogram."""

    count: int = Field(ge=0, description="Invoices in the histogram.")
    sum_ms: int = Field(ge=0, description="Sum of their latencies, in ms.")
    mean_ms: float | None = Field(description="Mean latency in ms; None when nothing was scored.")
    p50_ms: float | None = Field(description="Median, estimated within its histogram bucket (ms).")
    p95_ms: float | None = Field(description="95th percentile, estimated within its histogram bucket (ms).")
    p99_ms: float | None = Field(description="99th percentile, estimated within its histogram bucket (ms).")
    histogram: dict[str, int] = Field(
        description="Invoices per bucket, by the bucket's upper bound in ms ('+Inf' for the last); empty buckets "
        "left out. A bucket holds latencies above the previous bound up to its own."
    )


class DeadLetterFigures(Contract):
    """Records the stages gave up on."""

    total: int = Field(ge=0, description="Dead letters, all stages.")
    by_stage: dict[str, dict[str, int]] = Field(description="Dead letters by stage, then by reason (error code).")


class MetricsFigures(Contract):
    """What the pipeline did for a tenant (or all tenants) in a span of time."""

    scored: int = Field(ge=0, description="Invoices scored (each scored event counted once).")
    touchless: int = Field(ge=0, description="Invoices auto-approved: no person touched them.")
    touchless_rate: float | None = Field(description="touchless / scored; None when nothing was scored.")
    decisions: dict[str, int] = Field(description="Invoices by decision: auto_approve, review, reject.")
    routes: dict[str, int] = Field(description="Invoices by the route detect chose (structured, text, ocr...).")
    formats: dict[str, int] = Field(description="Invoices by document format (ubl, cii, hybrid_pdf...).")
    extractors: dict[str, int] = Field(description="Invoices by the reader used (ubl, cii, text, azure:<model>...).")
    reasons: dict[str, int] = Field(description="Invoices by reason code of their decision (each code once each).")
    paid_pages: int = Field(ge=0, description="Pages billed by the paid extractor.")
    cost_micro_usd: int = Field(ge=0, description="What the paid extraction cost, in millionths of a US dollar.")
    latency: LatencyFigures = Field(description="End-to-end latency of the invoices scored.")
    dead_letters: DeadLetterFigures = Field(description="Records dead-lettered, by stage and reason.")


class MetricsBucket(MetricsFigures):
    """The figures of one window bucket."""

    start: datetime = Field(description="UTC start of the bucket (a minute, an hour or a day).")


class MetricsResponse(Contract):
    """`GET /api/v1/metrics`: a tenant's (or every tenant's) figures per window bucket, and their totals."""

    tenant: str | None = Field(description="The tenant, or None for all tenants together (admin tokens only).")
    window: Literal["minute", "hour", "day"] = Field(description="The length of each bucket.")
    from_: datetime = Field(alias="from", description="Buckets starting at or after this time are included.")
    to: datetime = Field(description="Buckets starting at or after this time are not.")
    series: tuple[MetricsBucket, ...] = Field(
        description="Each bucket that counted something, oldest first (empty buckets are left out)."
    )
    totals: MetricsFigures = Field(description="The figures of the whole range.")


class DecisionEntry(Contract):
    """One decision taken for an invoice (a rescore or a replay adds one)."""

    event_id: str = Field(description="The scored event's id.")
    decision: str = Field(description="auto_approve, review or reject.")
    score: float = Field(description="How safely it could be processed without a human, 0 to 1.")
    reasons: tuple[Reason, ...] = Field(description="Why.")
    policy_version: str = Field(description="Version of the tenant policy that decided.")
    scored_at: datetime = Field(description="When it was taken (UTC).")
    trace_id: str | None = Field(description="The trace its message belonged to, if it carried one.")


class DeadLetterEntry(Contract):
    """A record of the invoice that a stage gave up on."""

    stage: str = Field(description="The stage that gave up.")
    reason: str = Field(description="The error code.")
    topic: str = Field(description="The topic the record was consumed from.")
    partition: int = Field(description="Its partition there.")
    offset: int = Field(description="Its offset there.")
    failed_at: datetime = Field(description="When it was dead-lettered (UTC).")


class ReplayEntry(Contract):
    """A dead letter of the invoice an operator put back (`invoiceflow dlq replay`)."""

    replay_id: str = Field(description="The replay run.")
    topic: str = Field(description="The dead-letter topic it was on.")
    partition: int = Field(description="Its partition there.")
    offset: int = Field(description="Its offset there.")
    reason: str = Field(description="The error code it had been dead-lettered for.")
    replays: int = Field(description="How many times it has been replayed.")
    replayed_at: datetime = Field(description="When (UTC).")


class StageTimes(Contract):
    """Where an invoice spent its time, in ms (None where a stage's time was not recorded)."""

    detect_ms: float | None = Field(description="From received to detected.")
    extract_ms: float | None = Field(description="From detected to extracted.")
    score_ms: float | None = Field(description="From extracted to scored.")
    total_ms: float = Field(description="From received to scored.")


class InvoiceJourney(Contract):
    """`GET /api/v1/invoices/{invoice_id}`: one invoice's way through the pipeline, from the records."""

    tenant_id: str = Field(description="The tenant.")
    invoice_id: str = Field(description="The invoice id (unique within its tenant).")
    received_at: datetime | None = Field(description="When it entered the pipeline (UTC); None if never scored.")
    detected_at: datetime | None = Field(description="When detection finished, if recorded.")
    extracted_at: datetime | None = Field(description="When extraction finished, if recorded.")
    scored_at: datetime | None = Field(description="When its latest decision was taken; None if never scored.")
    stage_times: StageTimes | None = Field(description="Each stage's share of the time; None if never scored.")
    format: str | None = Field(description="The document format detect judged.")
    route: str | None = Field(description="The route detect chose.")
    extractor: str | None = Field(description="The reader used.")
    decision: str | None = Field(description="The latest decision.")
    score: float | None = Field(description="The latest score.")
    reasons: tuple[Reason, ...] = Field(description="The reasons of the latest decision.")
    policy_version: str | None = Field(description="The policy version of the latest decision.")
    paid_pages: int = Field(ge=0, description="Pages billed by the paid extractor.")
    cost_usd: Decimal = Field(description="What its paid extraction cost, in US dollars.")
    trace_id: str | None = Field(description="The trace of its latest decision, if its message carried one.")
    decisions: tuple[DecisionEntry, ...] = Field(description="Every decision taken, oldest first.")
    dead_letters: tuple[DeadLetterEntry, ...] = Field(description="Every dead letter it left, oldest first.")
    replays: tuple[ReplayEntry, ...] = Field(description="Its dead letters an operator replayed, oldest first.")


class CheckResult(Contract):
    """One dependency's answer to a readiness check."""

    ok: bool = Field(description="Whether it answered in time.")
    ms: float = Field(ge=0, description="How long the check took, in ms.")
    reason: str | None = Field(default=None, description="Why it failed (no secrets, no addresses); None when ok.")


class HealthResponse(Contract):
    """`GET /health/live` and `GET /health/ready`: whether the service is up (and can answer)."""

    status: Literal["ok", "unavailable"] = Field(description="ok, or unavailable (HTTP 503) when a check failed.")
    checks: dict[str, CheckResult] = Field(
        default_factory=dict, description="Readiness: redis, postgres, kafka and live_feed, each with its answer."
    )


class LagResponse(Contract):
    """`GET /api/v1/lag`: how far the workers are behind, per stage, as Kafka counts it."""

    group: str = Field(description="The workers' consumer group.")
    stages: dict[str, int] = Field(
        description="Per stage: log end offset minus the group's committed offset, summed over its source and "
        "retry topics' partitions (records not processed yet)."
    )
    total: int = Field(ge=0, description="All stages together.")


class FeedScored(Contract):
    """`GET /api/v1/stream`, event `scored`: an invoice was scored (ids and outcome, never document fields)."""

    invoice_id: str = Field(description="The invoice id.")
    tenant_id: str = Field(description="The tenant.")
    decision: str = Field(description="auto_approve, review or reject.")
    score: float = Field(description="How safely it could be processed without a human, 0 to 1.")
    route: str | None = Field(description="The route detect chose.")
    format: str | None = Field(description="The document format.")
    extractor: str | None = Field(description="The reader used.")
    reasons: tuple[str, ...] = Field(description="The reason codes of the decision.")
    latency_ms: float = Field(description="From received to scored, in ms.")
    at: datetime = Field(description="When it was scored (UTC).")


class FeedDeadLetter(Contract):
    """`GET /api/v1/stream`, event `dead_letter`: a stage gave up on a record."""

    invoice_id: str | None = Field(description="The invoice id, if the record revealed it.")
    tenant_id: str | None = Field(description="The tenant, if the record revealed it.")
    stage: str = Field(description="The stage that gave up.")
    reason: str = Field(description="The error code.")
    replays: int = Field(description="How many times it had been replayed before.")
    at: datetime = Field(description="When it was dead-lettered (UTC).")
