"""What the stage shells share in one worker: settings, sinks, the policy book and detection limits."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from opentelemetry import trace

from config.policy import PolicyReloader, TenantPolicy
from config.settings import Settings
from streams.errors import UnknownTenant
from streams.resources import Resources
from streams.tally import Observations


@dataclass(slots=True)
class StageContext:
    """Long-lived collaborators of the stage handlers (built once per worker process)."""

    settings: Settings
    resources: Resources
    policies: PolicyReloader
    tracer: trace.Tracer = field(default_factory=trace.NoOpTracer)
    """The worker's tracer, for spans under a stage's (the paid call)."""
    observations: Observations = field(default_factory=Observations)
    """What the shells count for the worker's /metrics besides the runners' counts."""

    def policy(self, tenant: str) -> TenantPolicy:
        """The tenant's policy in force; `UnknownTenant` when unknown tenants are refused."""
        policy = self.policies.current().policy_for(tenant)
        if policy is None:
            raise UnknownTenant(f"tenant {tenant!r} has no policy and unknown tenants are refused")
        return policy

    @property
    def page_budgets(self) -> Mapping[str, int]:
        """Daily paid-page budget per tenant, read live from the policies in force."""
        return _PageBudgets(self.policies)

    @classmethod
    def create(cls, settings: Settings, tracer: trace.Tracer | None = None) -> StageContext:
        """Build the context; a bad policy file raises here, so the worker refuses to start."""
        reloader = PolicyReloader(settings.policy_file, refuse_unknown=settings.refuse_unknown_tenants or None)
        return cls(settings=settings, resources=Resources(settings), policies=reloader,
                   tracer=tracer or trace.NoOpTracer())


class _PageBudgets(Mapping[str, int]):
    """A live mapping tenant -> daily page budget over the current policy book (tenants without one absent)."""

    def __init__(self, policies: PolicyReloader) -> None:
        self._policies = policies

    def _budgets(self) -> dict[str, int]:
        book = self._policies.current()
        found = {t: p.daily_page_budget for t, p in book.tenants.items() if p.daily_page_budget is not None}
        return found

    def __getitem__(self, tenant: str) -> int:
        policy = self._policies.current().policy_for(tenant)
        if policy is None or policy.daily_page_budget is None:
            raise KeyError(tenant)
        return policy.daily_page_budget

    def __iter__(self) -> Iterator[str]:
        return iter(self._budgets())

    def __len__(self) -> int:
        return len(self._budgets())
