"""One settings object for the whole process, read from the environment (prefix INVOICEFLOW_).

Defaults point at the local stack that `make stack` starts, so a newcomer needs no configuration; a
deployment overrides them with environment variables or a `.env` file. Nothing reads the environment at
import time: call `Settings()` (or `load_settings()`) where the process starts and pass the object down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_MIB = 1024 * 1024


class AzureEndpoint(BaseModel):
    """One Azure AI Document Intelligence resource: its own key, quota and in-flight cap."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="Stable name, stored with each operation: never rename a live one.")
    url: str = Field(description="https://<resource>.cognitiveservices.azure.com (or the local fake).")
    key: SecretStr = Field(description="Subscription key.")
    analyze_rps: float = Field(default=15.0, gt=0, description="Analyze requests per second (S0: 15).")
    get_rps: float = Field(default=50.0, gt=0, description="Get-result requests per second (S0: 50).")
    max_in_flight: int = Field(default=64, ge=1, description="Operations in flight on this resource.")


class Settings(BaseSettings):
    """Process settings; every field can be set as INVOICEFLOW_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="INVOICEFLOW_", env_file=".env", extra="ignore", frozen=True,
                                      populate_by_name=True)

    # Kafka and the Faust app
    app_id: str = Field(default="invoiceflow", description="Faust app id: consumer group and topic prefix.")
    transport: Literal["kafka", "faust"] = Field(
        default="kafka",
        description="How a worker hops between topics: one plain aiokafka consumer and producer (1.6x the "
        "throughput), or Faust agents.",
    )
    kafka_bootstrap: str = Field(default="127.0.0.1:9092", description="Kafka bootstrap servers, comma separated.")
    topic_prefix: str = Field(default="", description="Prefix for every topic name (isolates test runs).")
    topic_partitions: int = Field(default=8, ge=1, description="Partitions for each topic created.")
    topic_replication: int = Field(default=1, ge=1, description="Replication factor for each topic.")
    topic_retention_ms: int = Field(default=7 * 24 * 3600 * 1000, description="Retention of the stage topics.")
    dlq_retention_ms: int = Field(default=30 * 24 * 3600 * 1000, description="Retention of dead-letter topics.")
    store: str = Field(default="memory://", description="Faust table store URL.")
    web_enabled: bool = Field(default=False, description="Run Faust's web server.")
    web_host: str = Field(default="127.0.0.1", description="Interface Faust's web server binds.")
    web_port: int = Field(default=6066, description="Port of Faust's web server.")
    producer_linger_ms: int = Field(default=5, description="Producer linger: batching against latency.")
    producer_max_batch_bytes: int = Field(default=256 * 1024, description="Producer max batch size.")
    producer_request_timeout_s: float = Field(
        default=40.0, gt=0,
        description="How long the producer tries to deliver a batch before it reports the send failed (the Kafka "
        "transport then sends it again: nothing is committed past an undelivered output).",
    )
    trace_sample_ratio: float = Field(default=0.01, ge=0, le=1, description="Share of traces recorded.")
    traces_exporter: str = Field(
        default="none", validation_alias=AliasChoices("OTEL_TRACES_EXPORTER"),
        description="OpenTelemetry's own variable OTEL_TRACES_EXPORTER: where recorded spans go, `otlp`, "
        "`console`, both comma separated, or `none` (the default: nothing is exported). The OTLP exporter "
        "reads its endpoint, headers, timeout and TLS files from the standard OTEL_EXPORTER_OTLP_* variables.",
    )
    otlp_protocol: Literal["http/protobuf", "grpc"] = Field(
        default="http/protobuf",
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"),
        description="OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL: OTLP over HTTP (protobuf), or gRPC (needs the "
        "`otlp-grpc` extra: opentelemetry-exporter-otlp-proto-grpc).",
    )
    service_name: str | None = Field(
        default=None, validation_alias=AliasChoices("OTEL_SERVICE_NAME"),
        description="OTEL_SERVICE_NAME: the traces' service.name (default invoiceflow-worker, "
        "invoiceflow-publisher).",
    )
    retry_delays_s: tuple[float, ...] = Field(
        default=(10.0, 60.0, 600.0), min_length=1,
        description="Retry tiers: the wait before each retry of a record that failed for a passing reason (a "
        "document source or the paid service down, 429, a timeout), in its stage's retry topic; after the "
        "last it is dead-lettered. From the environment a JSON list: '[10, 60, 600]'.",
    )
    session_timeout_s: float = Field(default=30.0, ge=6, description="Kafka group session timeout (dead worker).")
    batch_size: int = Field(default=200, ge=1, description="Max events a stage takes per batch.")
    sink_linger_s: float = Field(
        default=0.2, ge=0, description="Kafka transport: longest the aggregate stage waits to fill a batch."
    )
    fetch_min_bytes: int = Field(
        default=32 * 1024, ge=1, description="Kafka transport: bytes a fetch waits for (fewer, fuller fetches)."
    )
    fetch_max_wait_ms: int = Field(default=20, ge=0, description="Kafka transport: longest a fetch waits for them.")
    batch_timeout_s: float = Field(default=0.05, gt=0, description="Max wait to fill a batch.")
    recent_events: int = Field(
        default=4096, ge=0,
        description="Kafka transport: events a worker keeps after encoding, so reading them back one hop later "
        "skips parsing (0: off).",
    )
    recent_documents_mb: int = Field(
        default=64, ge=0,
        description="Kafka transport: verified document bytes a worker keeps for the next stage (0: off).",
    )
    recent_xml_mb: int = Field(
        default=64, ge=0,
        description="Kafka transport: e-invoice XML a worker's detect parsed, kept as parsed for its extract "
        "(a tree counted at 8 times its XML's size, about what it takes in memory; 0: off).",
    )
    recent_text_mb: int = Field(
        default=16, ge=0,
        description="Kafka transport: the lines of the text PDF pages a worker's detect loaded for its text probe, "
        "kept for its extract (counted at 64 bytes per character, about what they take in memory; 0: off).",
    )
    outage_max_wait_s: float = Field(
        default=15.0, gt=0,
        description="Kafka transport: longest wait between tries while PostgreSQL, Redis or Kafka itself is down "
        "(records wait in place; the wait doubles from 0.5 s up to this).",
    )
    shutdown_timeout_s: float = Field(
        default=30.0, gt=0,
        description="Kafka transport: a stopping worker finishes and commits what it can within this, and is then "
        "stopped hard (what was not committed is read again by its successor).",
    )

    # Databases
    postgres_dsn: SecretStr = Field(
        default=SecretStr("postgresql://invoiceflow:invoiceflow@127.0.0.1:5432/invoiceflow"),
        description="asyncpg DSN of the records database.",
    )
    postgres_pool_max: int = Field(default=4, ge=1, description="Max connections in the asyncpg pool.")
    redis_url: SecretStr = Field(default=SecretStr("redis://127.0.0.1:6379/0"), description="Redis URL.")

    # Documents
    inline_max_bytes: int = Field(default=256 * 1024, description="Largest document carried inline (base64).")
    max_document_bytes: int = Field(default=20 * _MIB, description="Largest document accepted at all.")
    max_pages: int = Field(default=50, ge=1, description="Most pages a document may have.")
    max_xml_bytes: int = Field(default=10 * _MIB, description="Largest XML (inline or embedded) parsed.")
    max_inflated_bytes: int = Field(default=64 * _MIB, description="Largest inflated PDF stream or image.")
    max_image_pixels: int = Field(default=40_000_000, description="Largest image, in pixels.")
    detect_time_budget_s: float = Field(default=5.0, gt=0, description="Time budget per document.")
    file_roots: tuple[Path, ...] = Field(
        default=(),
        description="Folders file:// references must resolve (symlinks followed) inside; empty: no file:// "
        "reference is allowed at all. From the environment a JSON list: '[\"/srv/invoices\"]'.",
    )
    fetch_allowed_hosts: tuple[
        Annotated[str, StringConstraints(pattern=r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)"
                                                 r"(:\d{1,5})?$")],
        ...,
    ] = Field(
        default=(),
        description="Hosts (`host`, port 443, or `host:port`; IDN hosts in their xn-- form) https:// references "
        "may name; empty: no https:// reference is allowed at all. From the environment a JSON list: "
        "'[\"docs.example.com\"]'.",
    )
    fetch_allow_private: bool = Field(
        default=False,
        description="Let document fetches connect to private, loopback, link-local or reserved addresses (tests "
        "and on-premises sources only); off: every address a host resolves to must be global.",
    )
    fetch_time_budget_s: float = Field(
        default=20.0, gt=0,
        description="Time to fetch one https:// document, connect, redirects and body included; then the retry topic.",
    )
    fetch_ca_file: Path | None = Field(
        default=None,
        description="Extra CA bundle (PEM) document fetches trust besides the system's, e.g. an internal CA.",
    )
    fetch_max_in_flight: int = Field(
        default=32, ge=1,
        description="With fetch hosts configured, documents the detect stage loads at once: a slow source holds "
        "one of these and its own record's commit point, never the rest of the worker.",
    )
    fetch_max_redirects: int = Field(
        default=3, ge=0, description="Redirects a document fetch follows, each to https on the same host and port."
    )
    ocr: Literal["none", "tesseract"] = Field(default="none", description="Local OCR for scans, or none.")

    # Paid extraction (Azure AI Document Intelligence); no endpoints = paid extraction off
    azure_endpoints: tuple[AzureEndpoint, ...] = Field(
        default=(), description="JSON list in INVOICEFLOW_AZURE_ENDPOINTS: name, url, key, rates, max_in_flight."
    )
    azure_model: str = Field(default="prebuilt-invoice", description="Model for tenants that do not choose one.")
    azure_time_budget_s: float = Field(default=120.0, gt=0, description="Per document, then the retry topic.")
    azure_poll_interval_s: float = Field(default=1.0, gt=0, description="Get-result polling interval.")
    azure_rate_headroom: float = Field(default=0.97, gt=0, le=1, description="Share of each quota we use.")
    azure_breaker_failures: int = Field(default=5, ge=1, description="Consecutive failures that open a breaker.")
    azure_breaker_cooldown_s: float = Field(default=30.0, gt=0, description="Wait before probing an endpoint.")
    azure_max_in_flight: int = Field(default=128, ge=1, description="Documents the extract stage has in flight.")
    azure_shared_quota: bool = Field(
        default=True,
        description="Share each endpoint's quota between all worker processes through Redis (redis_url), so any "
        "number of workers together stay inside it; off: each process assumes the whole quota is its own.",
    )
    azure_quota_workers: int = Field(
        default=2, ge=1,
        description="Workers expected to share an endpoint: while Redis is unreachable each keeps to 1/N of "
        "every quota (the shared quota's fallback).",
    )

    # Custom models (`invoiceflow train`): the blob container training sets are uploaded to, and routing
    vendor_layouts_refresh_s: float = Field(
        default=30.0, gt=0,
        description="How often the extract stage reloads the vendor layouts learned from reviews (one query for all "
        "tenants; no lookup per invoice): a layout a review taught is used within this.",
    )
    custom_models_refresh_s: float = Field(
        default=30.0, gt=0,
        description="How often the extract stage reloads which vendors have an active custom model (one query for "
        "all tenants; no lookup per invoice): a promoted or retired model takes effect within this.",
    )
    blob_url: str = Field(
        default="http://127.0.0.1:10000/devstoreaccount1",
        description="Blob service URL of the storage account training sets go to (the local stack: Azurite).",
    )
    blob_account: str = Field(default="devstoreaccount1", description="Storage account name (signs the SAS).")
    blob_key: SecretStr | None = Field(
        default=None,
        description="Storage account key (base64). Unset: `invoiceflow train` refuses to run. The local stack's "
        "emulator key is in infra/azurite.env.",
    )
    blob_container: str = Field(default="invoiceflow-training", description="Container for training sets.")
    training_held_back: float = Field(
        default=0.2, ge=0, lt=1,
        description="Share of a vendor's labelled examples held back from training to measure the custom model "
        "against prebuilt (at least one when there are six or more).",
    )
    training_max_examples: int = Field(
        default=500, ge=1,
        description="Most labelled examples one `invoiceflow train` run takes, the newest first (the service's own "
        "limits per build mode, pages and bytes, are kept besides).",
    )
    training_poll_interval_s: float = Field(default=2.0, gt=0, description="Build-model polling interval.")
    training_timeout_s: float = Field(default=3600.0, gt=0, description="Longest a model build may take.")

    # Policy
    policy_file: Path | None = Field(default=None, description="Tenant policy YAML; built-in default if unset.")
    refuse_unknown_tenants: bool = Field(default=False, description="Dead-letter tenants not in the policy.")

    # Metrics tables in Redis (written by the aggregate stage, read by `invoiceflow serve`)
    metrics_minute_retention_s: int = Field(
        default=2 * 86400, ge=60, description="How long per-minute buckets are kept, from the bucket's start (2 days)."
    )
    metrics_hour_retention_s: int = Field(
        default=90 * 86400, ge=3600, description="How long per-hour buckets are kept (90 days)."
    )
    metrics_day_retention_s: int = Field(
        default=400 * 86400, ge=86400, description="How long per-day buckets are kept (400 days)."
    )

    # The API service (`invoiceflow serve`)
    service_host: str = Field(default="127.0.0.1", description="Interface the API service binds.")
    service_port: int = Field(default=8080, ge=0, le=65535, description="Port of the API service.")
    service_token_refresh_s: float = Field(
        default=30.0, gt=0,
        description="How often the service reloads the API token hashes from PostgreSQL (a new or revoked token "
        "takes effect within this).",
    )
    service_check_timeout_s: float = Field(
        default=1.0, gt=0, description="Longest each readiness check (Redis, PostgreSQL, Kafka) may take."
    )
    service_max_buckets: int = Field(
        default=1500, ge=1, description="Most buckets one metrics request may span (a day of minutes is 1,440)."
    )
    service_metrics_max_age_s: float = Field(
        default=0.25, ge=0, description="An answer of /api/v1/metrics confirmed by Redis less than this ago is sent "
        "again without asking Redis (0: ask on every request)."
    )
    service_feed_capacity: int = Field(
        default=10_000, ge=100, description="Live-feed events the service keeps for clients that reconnect."
    )
    service_max_streams: int = Field(
        default=100, ge=1, description="Live-feed streams open at once; one more is refused with 503."
    )
    service_heartbeat_s: float = Field(
        default=15.0, gt=0, description="A quiet live-feed stream sends a comment this often (proxies keep it open)."
    )

    # Local stack
    state_dir: Path = Field(
        default=Path.home() / ".cache" / "invoiceflow" / "state", description="Where the local stack lives."
    )
    log_level: str = Field(default="WARNING", description="Root log level of workers.")
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Worker log lines as text, or one JSON object per line (time, level, logger, message, and "
        "the trace id, span id, invoice id and tenant when the line is about one invoice).",
    )

    # The worker's HTTP listener (Kafka transport): health, readiness, Prometheus metrics
    worker_http_enabled: bool = Field(default=True, description="Serve /health/live, /health/ready and /metrics.")
    worker_http_host: str = Field(default="127.0.0.1", description="Interface the worker's listener binds.")
    worker_http_port: int = Field(
        default=9720, ge=0, le=65535,
        description="Port of the worker's listener. Taken (another worker on this host): an ephemeral port "
        "instead, logged; 0: always an ephemeral one. Each worker writes the port it got to "
        "<state_dir>/workers/<pid>.json (a Prometheus file_sd target).",
    )
    health_check_timeout_s: float = Field(
        default=2.0, gt=0, description="Longest each readiness check (Kafka, Redis, PostgreSQL) may take."
    )


    @field_validator("traces_exporter")
    @classmethod
    def _known_exporters(cls, value: str) -> str:
        names = [n.strip().lower() for n in value.split(",") if n.strip()] or ["none"]
        unknown = sorted(set(names) - {"otlp", "console", "none"})
        if unknown:
            raise ValueError(f"unknown traces exporter(s) {unknown}: choose otlp, console or none")
        return ",".join(n for n in names if n != "none") or "none"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
