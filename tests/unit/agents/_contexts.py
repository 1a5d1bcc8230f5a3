"""Typed stage contexts for the shell tests: the worker's own `StageContext` around a `Resources` whose sinks a
test replaces with the in-memory stores of `streams.sinks.fakes` (a subclass, so every use is type-checked)."""

from __future__ import annotations

from agents.context import Memos, StageContext
from config.policy import PolicyReloader
from config.settings import Settings
from streams.resources import Resources
from streams.tally import Observations


def stage_context(resources: Resources, observations: Observations | None = None) -> StageContext:
    """A context as a worker builds it (no policy file, nothing remembered), around `resources`."""
    return StageContext(settings=resources.settings, resources=resources, policies=PolicyReloader(None),
                        observations=observations or Observations(), memos=Memos())


class TestResources(Resources):
    """`Resources` that opens nothing: each test overrides the sinks its stage takes."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings or Settings())
