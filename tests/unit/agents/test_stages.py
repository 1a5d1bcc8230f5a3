"""The stage registry agrees with the topic wiring, and each entry's window and linger follow the settings."""

from __future__ import annotations

import pytest

import schemas
from agents.stages import STAGES, stage
from config.settings import Settings
from config.topics import STAGES as TOPICS
from config.topics import all_topics


def test_every_stage_has_its_topics_and_consumes_what_its_source_carries() -> None:
    assert list(STAGES) == list(TOPICS)  # the same stages, in flow order
    payload = {spec.name: spec.payload for spec in all_topics() if spec.role == "stage"}
    for name, entry in STAGES.items():
        source, sink = TOPICS[name]
        assert entry.consumes is getattr(schemas, payload[source])
        assert (entry.produces is None) == (sink is None)
        if sink is not None:  # what it produces is what the next stage consumes
            assert entry.produces is getattr(schemas, payload[sink])


def test_windows_and_linger_follow_the_settings() -> None:
    plain = Settings()
    assert {n: STAGES[n].window(plain) for n in STAGES} == dict.fromkeys(STAGES, 1)
    assert {n: STAGES[n].linger_s(plain) for n in STAGES} == {**dict.fromkeys(STAGES, 0.0),
                                                              "aggregate": plain.sink_linger_s}
    fetching = Settings(fetch_allowed_hosts=["docs.example.com"], fetch_max_in_flight=7)
    assert stage("detect").window(fetching) == 7 and stage("extract").window(fetching) == 1
    ocr = Settings(ocr="tesseract", azure_max_in_flight=5)
    assert stage("extract").window(ocr) == 5 and stage("detect").window(ocr) == 1


def test_an_unknown_stage_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=", ".join(STAGES)):
        stage("learn")
