"""The extractor's stateless parts: its settings, its result, the SDK client factory and retry delays.

Kept apart from `client.py` so the orchestration there reads on its own. `build_client` is where the one-
retry-layer rule is enforced: the SDK's own retry policy gets `retry_total=0`, so every retry is ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import backoff
from azure.ai.documentintelligence.aio import DocumentIntelligenceClient
from azure.core.credentials import AzureKeyCredential
from azure.core.pipeline.transport import AioHttpTransport

from streams.azure.operations import ResumeAction
from streams.azure.pool import EndpointConfig


@dataclass(frozen=True, slots=True)
class ExtractorConfig:
    """Polling cadence, retry delays, resume window, page budgets and prices."""

    first_poll_delay_s: float = 1.0
    poll_interval_s: float = 1.0
    backoff_factor_s: float = 0.5
    backoff_max_s: float = 8.0
    result_ttl: timedelta = timedelta(hours=23, minutes=55)
    connection_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    daily_page_budget: Mapping[str, int] = field(default_factory=dict)
    prices: Mapping[str, Decimal] | None = None


@dataclass(frozen=True, slots=True)
class AnalyzeOutcome:
    """A finished analysis: the compacted analyzeResult and what it cost."""

    result: Mapping[str, Any]
    pages: int
    model_id: str
    endpoint: str
    operation_location: str
    usd: Decimal
    source: ResumeAction
    submissions: int
    elapsed_s: float


async def _headers_sent(_session: object, context: Any, _params: object) -> None:
    """aiohttp's hook once a request's headers are on the socket: tell the call's ticket it has left."""
    ticket = context.trace_request_ctx
    if ticket is not None:
        ticket.sent()


def _wire_session() -> aiohttp.ClientSession:
    """The SDK transport's session (its defaults: no cookies, no decompression) that reports departures.

    A call passed `trace_request_ctx=ticket` has `ticket.sent()` called when its headers are written, the
    moment the service starts counting it; the SDK's `raw_request_hook` fires earlier, before aiohttp waits
    on the event loop for a connection, which a busy worker can make tens of ms.
    """
    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(_headers_sent)
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False, trust_env=True, trace_configs=[trace]
    )


def build_client(endpoint: EndpointConfig, config: ExtractorConfig) -> DocumentIntelligenceClient:
    """The SDK client for one endpoint, with its own retries off: ours are the only layer.

    Needs a running event loop (the transport's session is made here, and closed with the client).
    """
    return DocumentIntelligenceClient(
        endpoint.url,
        AzureKeyCredential(endpoint.key.get_secret_value()),
        transport=AioHttpTransport(session=_wire_session(), session_owner=True),
        retry_total=0,
        connection_timeout=config.connection_timeout_s,
        read_timeout=config.read_timeout_s,
        logging_enable=False,
    )


class Delays:
    """Exponential backoff with full jitter, from the `backoff` package's generators."""

    def __init__(self, config: ExtractorConfig) -> None:
        self._config = config
        self.reset()

    def reset(self) -> None:
        c = self._config
        self._gen = backoff.expo(base=2, factor=c.backoff_factor_s, max_value=c.backoff_max_s)
        next(self._gen)

    def next(self) -> float:
        return float(backoff.full_jitter(next(self._gen)))
