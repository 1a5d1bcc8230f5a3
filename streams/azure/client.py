"""Analyze one document with Azure AI Document Intelligence: inside the quota, inside a time budget, once.

The SDK's async client is built with `retry_total=0`, so the only retry layer is ours: `backoff`'s
exponential delays with full jitter, on 429, 5xx and connection errors, bounded by the document's time
budget (past it, `AzureTimeBudgetExceeded`, retriable). The SDK submits (`begin_analyze_document` with
`polling=False`); its Operation-Location is stored through the `OperationStore` before anything else, and
polling is ours too (`send_request` on that URL, paced by the endpoint's get-result gate), so a crash at any
point resumes from a plain URL in the store instead of paying for a second analysis. The submit and its store
write are shielded from cancellation: a timeout cannot drop an operation the service has already billed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, NoReturn

from azure.core.exceptions import AzureError, HttpResponseError
from azure.core.rest import HttpRequest

from streams.azure._http import (
    failed_operation,
    is_transient_status,
    parse_error,
    permanent_error,
    retry_after_s,
)
from streams.azure._sdk import AnalyzeOutcome, Delays, ExtractorConfig, build_client
from streams.azure.errors import AzurePageBudgetExhausted, AzureTimeBudgetExceeded
from streams.azure.gate import Ticket
from streams.azure.operations import OperationStore, ResumeAction, compact_result, resume_action
from streams.azure.pool import Endpoint, EndpointConfig, EndpointPool
from streams.azure.prices import cost_usd
from streams.errors import SinkError

_log = logging.getLogger(__name__)


class _Retry(Exception):
    """Internal: this attempt failed in a way a later attempt may not (never leaves this module)."""


@dataclass(slots=True)
class _Call:
    """Book-keeping for one `analyze` call."""

    tenant_id: str
    sha256: str
    model_id: str
    submissions: int = 0
    last_error: str = "none"
    unsaved: tuple[str, str, datetime] | None = None  # (endpoint, location, submitted_at) the store missed


class AzureExtractor:
    """Analyzes documents over an endpoint pool, remembering every operation in an `OperationStore`."""

    def __init__(
        self,
        pool: EndpointPool,
        store: OperationStore,
        config: ExtractorConfig | None = None,
        client_factory: Callable[[EndpointConfig, ExtractorConfig], Any] = build_client,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.config = config or ExtractorConfig()
        self._store = store
        self._now = now
        self._clients = {e.name: client_factory(e.config, self.config) for e in pool.endpoints}
        self._locks: dict[tuple[str, str, str], tuple[asyncio.Lock, int]] = {}

    async def __aenter__(self) -> AzureExtractor:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()

    async def analyze(
        self,
        document: bytes | str,
        *,
        sha256: str,
        model_id: str,
        tenant_id: str,
        budget_s: float,
        expected_pages: int = 1,
    ) -> AnalyzeOutcome:
        """Analyze `document` (bytes, or an https URL the service fetches itself) with `model_id`.

        Raises:
            AzureTimeBudgetExceeded: not finished within `budget_s` (retriable).
            AzurePageBudgetExhausted: the tenant's daily page budget is spent (retriable).
            AzureInvalidDocument, AzureRejected, AzureAnalysisFailed: permanent; dead-letter the document.
            SinkError: the operation store failed (retriable).
        """
        call = _Call(tenant_id, sha256, model_id)
        started = time.monotonic()
        key = (tenant_id, sha256, model_id)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with asyncio.timeout(budget_s), lock:  # the same document twice at once: the second reuses
                outcome = await self._analyze(call, document, expected_pages)
        except TimeoutError as exc:
            raise AzureTimeBudgetExceeded(
                f"analysis not finished within {budget_s:g}s (last problem: {call.last_error})"
            ) from exc
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
        return replace(outcome, elapsed_s=time.monotonic() - started)

    async def _analyze(self, call: _Call, document: bytes | str, expected_pages: int) -> AnalyzeOutcome:
        stored = await self._store.get(call.tenant_id, call.sha256, call.model_id)
        names = {e.name for e in self.pool.endpoints}
        action = resume_action(stored, self._now(), names, self.config.result_ttl)
        if stored is not None and action is ResumeAction.REUSE and stored.result is not None:
            return self._outcome(call, stored.result, stored.endpoint, stored.operation_location, action)
        if stored is not None and action is ResumeAction.RESUME:
            lease = await self.pool.acquire(stored.endpoint)
            try:
                result = await self._poll(call, lease.endpoint, stored.operation_location, 0.0)
            finally:
                self.pool.release(lease)
            if result is not None:
                return await self._save(call, result, stored.endpoint, stored.operation_location, action)
        await self._check_page_budget(call, expected_pages)
        return await self._submit_until_done(call, document)

    async def _check_page_budget(self, call: _Call, expected_pages: int) -> None:
        limit = self.config.daily_page_budget.get(call.tenant_id)
        if limit is None:
            return
        billed = await self._store.billed_on(call.tenant_id, self._now().date())
        if billed.pages + expected_pages > limit:
            raise AzurePageBudgetExhausted(f"tenant page budget {limit}/day spent ({billed.pages} billed today)")

    async def _submit_until_done(self, call: _Call, document: bytes | str) -> AnalyzeOutcome:
        delays = Delays(self.config)
        while True:
            lease = await self.pool.acquire()
            endpoint = lease.endpoint
            ticket: Ticket | None = None
            try:
                ticket = await endpoint.analyze_gate.admit()
                if not self.pool.may_send(lease):  # its circuit opened while this document queued
                    continue
                location = await asyncio.shield(self._submit_and_store(call, endpoint, document, ticket))
                result = await self._poll(call, endpoint, location, self.config.first_poll_delay_s)
                if result is not None:
                    return await self._save(call, result, endpoint.name, location, ResumeAction.SUBMIT)
            except _Retry as exc:
                call.last_error = str(exc)
            finally:
                if ticket is not None:
                    ticket.close()
                self.pool.release(lease)
            await asyncio.sleep(delays.next())

    async def _submit_and_store(
        self, call: _Call, endpoint: Endpoint, document: bytes | str, ticket: Ticket
    ) -> str:
        """One analyze request; on 202 the operation is stored before this returns."""
        captured: dict[str, str] = {}

        def hook(response: Any) -> None:
            location = response.http_response.headers.get("Operation-Location")
            if location:
                captured["location"] = location

        body: bytes | dict[str, str] = document if isinstance(document, bytes) else {"urlSource": document}
        client = self._clients[endpoint.name]
        try:
            await client.begin_analyze_document(
                call.model_id, body, polling=False, trace_request_ctx=ticket, raw_response_hook=hook
            )
        except HttpResponseError as exc:
            self._on_http_error(endpoint, endpoint.analyze_gate.pause, exc, "analyze")
        except AzureError as exc:
            self.pool.failed(endpoint)
            raise _Retry(f"analyze: {type(exc).__name__}") from exc
        finally:
            ticket.close()
        self.pool.succeeded(endpoint)
        location = captured.get("location")
        if location is None:
            raise _Retry("analyze: 202 without Operation-Location")
        call.submissions += 1
        submitted_at = self._now()
        try:
            await self._store.put_submitted(
                call.tenant_id, call.sha256, call.model_id, endpoint.name, location, submitted_at
            )
        except SinkError as exc:  # the analysis is paid for: finish it, and store it with the result
            call.unsaved = (endpoint.name, location, submitted_at)
            call.last_error = str(exc)
            _log.warning("operation store unavailable; polling on without a stored operation: %s", exc)
        return location

    def _on_http_error(
        self, endpoint: Endpoint, pause: Callable[[float], None], exc: HttpResponseError, what: str
    ) -> NoReturn:
        """Translate an error answer: pause on 429, count 5xx against the circuit, raise the right error."""
        status = exc.status_code or 0
        response = exc.response
        headers: Mapping[str, str] = getattr(response, "headers", None) or {}
        if status == 429:
            self.pool.succeeded(endpoint)
            wait = retry_after_s(headers)
            if wait is not None:
                pause(wait)
            raise _Retry(f"{what}: HTTP 429") from exc
        if is_transient_status(status) or status == 0:
            self.pool.failed(endpoint)
            raise _Retry(f"{what}: HTTP {status}") from exc
        self.pool.succeeded(endpoint)
        body = response.text() if response is not None else None
        raise permanent_error(status, parse_error(body), what) from exc

    async def _poll(
        self, call: _Call, endpoint: Endpoint, location: str, first_delay_s: float
    ) -> dict[str, Any] | None:
        """Poll until the operation ends: its analyzeResult, or None if it is gone or failed transiently."""
        await asyncio.sleep(first_delay_s)
        delays = Delays(self.config)
        client = self._clients[endpoint.name]
        while True:
            ticket = await endpoint.get_gate.admit()
            try:
                response = await client.send_request(HttpRequest("GET", location), trace_request_ctx=ticket)
                if response.status_code != 200:
                    response.raise_for_status()
            except HttpResponseError as exc:
                if exc.status_code == 404:
                    self.pool.succeeded(endpoint)
                    return None
                try:
                    self._on_http_error(endpoint, endpoint.get_gate.pause, exc, "get result")
                except _Retry as retry:
                    call.last_error = str(retry)
                await asyncio.sleep(delays.next())
                continue
            except AzureError as exc:
                self.pool.failed(endpoint)
                call.last_error = f"get result: {type(exc).__name__}"
                await asyncio.sleep(delays.next())
                continue
            finally:
                ticket.close()
            self.pool.succeeded(endpoint)
            delays.reset()
            body = response.json()
            status = body.get("status")
            if status == "succeeded" and isinstance(body.get("analyzeResult"), dict):
                result: dict[str, Any] = body["analyzeResult"]
                return result
            if status == "failed":
                permanent = failed_operation(parse_error(body))
                if permanent is not None:
                    raise permanent
                call.last_error = "operation failed transiently"
                return None
            if status == "canceled":
                return None
            await asyncio.sleep(retry_after_s(response.headers) or self.config.poll_interval_s)

    async def _save(
        self, call: _Call, result: Mapping[str, Any], endpoint: str, location: str, source: ResumeAction
    ) -> AnalyzeOutcome:
        compact = compact_result(result)
        outcome = self._outcome(call, compact, endpoint, location, source)
        if call.unsaved is not None:
            await self._store.put_submitted(call.tenant_id, call.sha256, call.model_id, *call.unsaved)
        await self._store.put_result(
            call.tenant_id, call.sha256, call.model_id, compact, outcome.pages, outcome.usd, self._now()
        )
        return outcome

    def _outcome(
        self, call: _Call, result: Mapping[str, Any], endpoint: str, location: str, source: ResumeAction
    ) -> AnalyzeOutcome:
        pages = max(1, len(result.get("pages") or ()))
        usd = cost_usd(call.model_id, pages, self.config.prices)
        return AnalyzeOutcome(result, pages, call.model_id, endpoint, location, usd, source, call.submissions, 0.0)
