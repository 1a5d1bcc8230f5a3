"""An outage's flood of identical log lines is held back and summarised."""

from __future__ import annotations

import logging

from streams.logs import RepeatFilter


def _record(msg: str, *args: object, name: str = "aiokafka") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_repeats_past_the_burst_are_held_back_and_counted_on_the_next_window() -> None:
    f = RepeatFilter(window_s=0.05, burst=2)
    passed = [f.filter(_record("Unable connect to node with id %s", i)) for i in range(100)]
    assert passed.count(True) == 2
    import time

    time.sleep(0.06)
    summary = _record("Unable connect to node with id %s", 101)
    assert f.filter(summary)
    assert "[98 more like this in the last" in summary.getMessage()


def test_different_kinds_are_counted_apart() -> None:
    f = RepeatFilter(window_s=60, burst=1)
    assert f.filter(_record("Unable to update metadata from %s", 1))
    assert f.filter(_record("Failed fetch messages from %s", 1))
    assert f.filter(_record("Unable to update metadata from %s", 1, name="other"))
    assert not f.filter(_record("Unable to update metadata from %s", 2))
