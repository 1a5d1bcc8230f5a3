"""Topic names as every transport uses them (the settings' prefix on the specs of `config.topics`), and the
Faust adapter's topic registry: every Faust topic, declared once, from those specs.

Values and keys travel as raw bytes; `streams.codecs` does the (de)serialising so that validation errors
are ours to route instead of Faust's to swallow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.settings import Settings
from config.topics import STAGES, TopicSpec, all_topics, dead_letter_topic, retry_topic


def topic_name(settings: Settings, base: str) -> str:
    """The full topic name: the settings' prefix plus the base name."""
    return f"{settings.topic_prefix}{base}"


def retention_ms(settings: Settings, spec: TopicSpec) -> int:
    """Retention for a topic by its role: dead letters are kept longer, for replay."""
    return settings.dlq_retention_ms if spec.role == "dead_letter" else settings.topic_retention_ms


@dataclass(frozen=True, slots=True)
class StageTopics:
    """The Faust topics one stage touches."""

    source: Any
    retries: tuple[Any, ...]
    """One per retry tier."""
    dead_letter: Any
    output: Any | None


class TopicRegistry:
    """All topics of one app, keyed by base name."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.settings = settings
        self._topics: dict[str, Any] = {}
        for spec in all_topics(len(settings.retry_delays_s)):
            self._topics[spec.name] = app.topic(
                topic_name(settings, spec.name),
                key_type=bytes,
                value_type=bytes,
                key_serializer="raw",
                value_serializer="raw",
                partitions=settings.topic_partitions,
                replicas=settings.topic_replication,
                retention=retention_ms(settings, spec) / 1000.0,
                internal=False,
            )

    def __getitem__(self, base: str) -> Any:
        return self._topics[base]

    def stage(self, stage: str) -> StageTopics:
        """The source, retry, dead-letter and output topics of a stage."""
        source, output = STAGES[stage]
        return StageTopics(
            source=self._topics[source],
            retries=tuple(self._topics[retry_topic(stage, tier)]
                          for tier in range(1, len(self.settings.retry_delays_s) + 1)),
            dead_letter=self._topics[dead_letter_topic(stage)],
            output=self._topics[output] if output else None,
        )
