"""What the stage shells share in one worker: settings, sinks, the policy book and detection limits."""

from __future__ import annotations

from dataclasses import dataclass

from config.policy import PolicyReloader
from config.settings import Settings
from streams.resources import Resources


@dataclass(slots=True)
class StageContext:
    """Long-lived collaborators of the stage handlers (built once per worker process)."""

    settings: Settings
    resources: Resources
    policies: PolicyReloader

    @classmethod
    def create(cls, settings: Settings) -> StageContext:
        """Build the context; a bad policy file raises here, so the worker refuses to start."""
        reloader = PolicyReloader(settings.policy_file, refuse_unknown=settings.refuse_unknown_tenants or None)
        return cls(settings=settings, resources=Resources(settings), policies=reloader)
