"""`invoiceflow tail` reads the deployment's topics: the prefix applied, a stage name taken for its input or
(with --dlq) its dead letters. It used to read the unprefixed topic whatever the prefix."""

from __future__ import annotations

import pytest

from config.settings import Settings
from streams.cli.actions import tail_topic
from streams.errors import ConfigError

PREFIXED = Settings(topic_prefix="prod.")


@pytest.mark.parametrize(("name", "dlq", "topic"), [
    ("invoices.detect.dlq", False, "prod.invoices.detect.dlq"),
    ("prod.invoices.scored", False, "prod.invoices.scored"),
    ("detect", False, "prod.invoices.received"),
    ("score", True, "prod.invoices.score.dlq"),
])
def test_the_prefix_is_applied_and_a_stage_names_its_topic(name: str, dlq: bool, topic: str) -> None:
    assert tail_topic(PREFIXED, name, dlq) == topic


def test_dlq_goes_with_a_stage() -> None:
    with pytest.raises(ConfigError):
        tail_topic(PREFIXED, "invoices.scored", True)
