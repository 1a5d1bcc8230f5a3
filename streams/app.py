"""`create_app(settings)`: the Faust app, built on demand, never at import time.

Every test and every process gets a fresh app (a global one breaks across event loops). The web server is
off unless settings turn it on, and binds loopback by default; Faust's leader topic is disabled because no
agent needs a leader; producer batching follows the settings (256 KB batches, 5 ms linger measured best).
"""

from __future__ import annotations

from typing import Any

import faust

from config.settings import Settings
from streams.topics import TopicRegistry
from streams.tracing import Headers, make_tracing


class FaustProducer:
    """The Faust app's producer, as the stage runner's `Producer`."""

    def __init__(self, app: Any) -> None:
        self._app = app

    async def send(self, topic: str, key: bytes | None, value: bytes | None, headers: Headers) -> object:
        return await self._app.producer.send(topic, key, value, None, None, headers)


def create_app(settings: Settings) -> Any:
    """Build the Faust app and its topic registry (available as `app.invoiceflow_topics`)."""
    datadir = settings.state_dir / "faust" / settings.app_id  # not `<app id>-data` in the working directory
    datadir.parent.mkdir(parents=True, exist_ok=True)  # Faust makes the last level only, when it starts
    app: Any = faust.App(
        settings.app_id,
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",")],
        store=settings.store,
        datadir=str(datadir),
        autodiscover=False,
        web_enabled=settings.web_enabled,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_allow_declare=False,
        topic_disable_leader=True,
        producer_linger_ms=settings.producer_linger_ms,
        producer_max_batch_size=settings.producer_max_batch_bytes,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),
        stream_wait_empty=False,
        key_serializer="raw",
        value_serializer="raw",
    )
    app.invoiceflow_settings = settings
    app.invoiceflow_topics = TopicRegistry(app, settings)
    app.invoiceflow_tracing = make_tracing(settings, "invoiceflow-worker", settings.app_id)
    app.invoiceflow_tracer = app.invoiceflow_tracing.tracer
    return app
