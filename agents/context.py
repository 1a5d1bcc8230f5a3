"""What the stage shells share in one worker: settings, sinks, the policy book, and what the worker remembers
from one hop of an invoice to the next (`Memos`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from opentelemetry import trace

from agents.readers._detection import Parsed
from agents.readers.pdf_text import PageLines
from config.policy import PolicyReloader, TenantPolicy
from config.settings import Settings
from streams.codecs import EventMemo
from streams.documents import DocumentMemo
from streams.errors import UnknownTenant
from streams.recent import Recent
from streams.resources import Resources
from streams.tally import Observations

_MIB = 1024 * 1024

XmlMemo = Recent[str, Parsed]
"""The e-invoice XML detect parsed lately, by the event id of the `DocumentDetected` that extract will read."""


TextMemo = Recent[str, PageLines]
"""The lines of the text PDF pages detect loaded lately, by the event id of the `DocumentDetected` extract reads."""


_TREE_PER_XML_BYTE = 8  # a parsed tree takes ~7 times its XML's size in memory (measured on generated UBL and CII)


def _tree_size(parsed: Parsed) -> int:
    return parsed.size * _TREE_PER_XML_BYTE


_LINES_PER_CHAR = 64  # a page's lines take ~55 bytes per character of their text (measured on generated text PDFs)


def _lines_size(lines: PageLines) -> int:
    return _LINES_PER_CHAR * sum(len(line.text) for page in lines for line in page)


@dataclass(frozen=True, slots=True)
class Memos:
    """What one worker remembers of an invoice from one hop to the next, so the next stage need not do it again.

    Kafka-transport workers are co-partitioned: an invoice's events come back to the process that made them,
    one hop later. Each memo is bounded and first in, first out, each entry taken once (`streams.recent`);
    a miss (another process made it, a restart, a redelivery) only means the work is done again, with the
    same result. None means not remembered (the Faust adapter, tests, tools).
    """

    events: EventMemo | None = None
    """The events this worker encoded, by their bytes: decoding them again returns the very event."""
    documents: DocumentMemo | None = None
    """The document bytes this worker loaded and verified, by location and sha256."""
    xml: XmlMemo | None = None
    """The e-invoice XML detect parsed, for extract to read without parsing it (or opening a PDF) again."""
    text: TextMemo | None = None
    """The lines of the text PDF pages detect loaded for its text probe, for extract not to load them again."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Memos:
        """The memos the settings size (``INVOICEFLOW_RECENT_EVENTS``, ``_DOCUMENTS_MB``, ``_XML_MB``, ``_TEXT_MB``;
        0: off)."""
        return cls(
            events=Recent(settings.recent_events) if settings.recent_events > 0 else None,
            documents=Recent(settings.recent_documents_mb * _MIB, len) if settings.recent_documents_mb > 0 else None,
            xml=Recent(settings.recent_xml_mb * _MIB, _tree_size) if settings.recent_xml_mb > 0 else None,
            text=Recent(settings.recent_text_mb * _MIB, _lines_size) if settings.recent_text_mb > 0 else None,
        )


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
    memos: Memos = field(default_factory=Memos)
    """What the worker remembers from one hop to the next (nothing unless the worker says so)."""

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
    def create(cls, settings: Settings, tracer: trace.Tracer | None = None, memos: Memos | None = None) -> StageContext:
        """Build the context; a bad policy file raises here, so the worker refuses to start."""
        reloader = PolicyReloader(settings.policy_file, refuse_unknown=settings.refuse_unknown_tenants or None)
        return cls(settings=settings, resources=Resources(settings), policies=reloader,
                   tracer=tracer or trace.NoOpTracer(), memos=memos or Memos())


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
