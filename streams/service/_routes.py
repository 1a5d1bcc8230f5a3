"""The endpoints: metrics from the Redis tables, an invoice's journey from PostgreSQL, the live feed and the
consumer lag from Kafka, health, Prometheus.

`GET /api/v1/metrics` touches Redis only (one script call, or none for an answer confirmed within
`service_metrics_max_age_s`) and the token cache in memory, never PostgreSQL, so
it keeps answering while the records database is slow or down. Redis sends only the buckets that changed since
this service last read them (`_metrics_cache`); the answer is assembled from figures serialised once with
orjson (pydantic would validate the same data again on the way out). The `MetricsResponse` contract
documents it, and the tests hold the answers to it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from schemas import HealthResponse, InvoiceJourney, LagResponse, MetricsResponse
from streams.counters import WINDOWS, bucket_range, parse_time
from streams.service._auth import Principal, bearer, invoice_scope, metrics_scope
from streams.service._health import readiness
from streams.service._state import ServiceState
from streams.sinks.journeys import read_journey

router = APIRouter()
_bearer = HTTPBearer(auto_error=False, description="A tenant's or an admin's API token (invoiceflow tokens add).")
_JSON = "application/json"
_DENIED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No token, or one that is not (or no longer) valid."},
    403: {"description": "The token's tenant is not the one asked for."},
    503: {"description": "Tokens not loaded yet, or a store is unavailable."},
}


async def service_state(request: Request) -> ServiceState:
    """The running service's state (dependencies are async: FastAPI runs plain ones in a thread each)."""
    state: ServiceState = request.app.state.invoiceflow
    return state


State = Annotated[ServiceState, Depends(service_state)]


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def caller(state: State, credentials: Credentials) -> Principal:
    """Who is asking (401 without a valid token)."""
    return state.tokens.principal(credentials.credentials if credentials else None)


Caller = Annotated[Principal, Depends(caller)]


def _time(value: str | None, name: str) -> float | None:
    try:
        return None if value is None else parse_time(value, name)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


_WINDOW_NAMES = tuple(WINDOWS)
_METRICS_PARAMETERS = [
    {"name": "tenant", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "The tenant (a tenant token: its own, the default; admin: any, or all when left out)."},
    {"name": "window", "in": "query", "required": False,
     "schema": {"type": "string", "enum": list(_WINDOW_NAMES), "default": "minute"}, "description": "Bucket length."},
    {"name": "from", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "Epoch seconds or ISO 8601; buckets starting at or after it (default: 60 minutes, 24 hours "
     "or 30 days before `to`)."},
    {"name": "to", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "Epoch seconds or ISO 8601; buckets starting before it (default: the end of the current one)."},
]


@router.get("/api/v1/metrics", response_model=MetricsResponse, responses=_DENIED, tags=["metrics"],
            openapi_extra={"parameters": _METRICS_PARAMETERS, "security": [{"HTTPBearer": []}]})
async def get_metrics(request: Request) -> Response:
    """A tenant's figures per window bucket in [from, to), and their totals, from the Redis tables only.

    The hot path: its parameters are read here rather than declared (FastAPI's per-request parameter and
    dependency resolution cost about as much as the rest of the request); `openapi_extra` documents them.
    """
    state: ServiceState = request.app.state.invoiceflow
    who = state.tokens.principal(bearer(request.headers.get("authorization")))
    params = request.query_params
    window = params.get("window", "minute")
    if window not in WINDOWS:
        raise HTTPException(422, f"window: one of {', '.join(_WINDOW_NAMES)}")
    scope = metrics_scope(who, params.get("tenant"))
    try:
        start, end = bucket_range(window, _time(params.get("from"), "from"), _time(params.get("to"), "to"),
                                  time.time(), state.settings.service_max_buckets)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    assert state.tables is not None
    cache, query, now = state.metrics_cache, (scope, window, start, end), time.time()
    body = cache.recent(query, now, time.monotonic())
    if body is None:
        held, known = cache.holds(query, now)
        read = await state.tables.read_buckets(scope, window, start, end, known, held)
        body = cache.answer(query, read, time.monotonic())
        if body is None:  # it counted on something dropped from the cache meanwhile: read it all
            body = cache.answer(query, await state.tables.read_buckets(scope, window, start, end), time.monotonic())
    assert body is not None
    return Response(body, media_type=_JSON)


@router.get("/api/v1/invoices/{invoice_id}", response_model=InvoiceJourney, responses={
    **_DENIED, 400: {"description": "An admin token did not name the tenant."},
    404: {"description": "The records know nothing of this invoice."}}, tags=["invoices"])
async def get_invoice(
    state: State, who: Caller, invoice_id: str,
    tenant: Annotated[str | None, Query(description="The tenant (required with an admin token)")] = None,
) -> Response:
    """One invoice's journey: each stage's time, route, extractor, decisions, reasons, trace, dead letters,
    replays (from PostgreSQL)."""
    journey = await read_journey(await state.postgres(), invoice_scope(who, tenant), invoice_id)
    if journey is None:
        raise HTTPException(404, "no such invoice for this tenant")
    return Response(journey.model_dump_json(by_alias=True), media_type=_JSON)


_STREAM_BACKLOG = 50
_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    "200": {"description": "Server-Sent Events: `scored` (data: FeedScored) and `dead_letter` (data: "
            "FeedDeadLetter), each with an `id:` to resume from with `Last-Event-ID`; a `gap` event when events "
            "between were dropped; comments as heartbeats.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}}},
}


@router.get("/api/v1/stream", responses={**_DENIED, **_STREAM_DOC}, tags=["live"],
            response_class=StreamingResponse)
async def stream(
    state: State, who: Caller,
    tenant: Annotated[str | None, Query(description="The tenant (admin: any, or all when left out)")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", description="Resume after this event.")]
    = None,
) -> StreamingResponse:
    """Scored invoices and dead letters of the caller's tenant as they happen (fed by Kafka), from the last
    event the client saw, or the last few for a new client."""
    scope = metrics_scope(who, tenant)
    if state.streams_open >= state.settings.service_max_streams:
        raise HTTPException(503, "too many live streams open: try again later")
    feed, heartbeat = state.feed, state.settings.service_heartbeat_s
    after, gap = feed.resume_point(last_event_id, _STREAM_BACKLOG)

    async def events() -> AsyncIterator[bytes]:
        nonlocal after
        state.streams_open += 1
        try:
            yield b"retry: 2000\n\n" + (b"event: gap\ndata: {}\n\n" if gap else b"")
            while True:
                found = feed.since(after, scope)
                after = feed.last_seq if not found else found[-1].seq
                if found:
                    yield b"".join(b"id: %s\nevent: %s\ndata: %s\n\n" % (feed.event_id(e).encode(),
                                                                          e.kind.encode(), e.data) for e in found)
                elif not await feed.wait(heartbeat):
                    yield b": keep-alive\n\n"
        finally:
            state.streams_open -= 1

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/api/v1/lag", response_model=LagResponse, responses=_DENIED, tags=["live"])
async def lag(state: State, who: Caller) -> Response:
    """How many records each stage's workers have not processed yet (the consumer group's lag, from Kafka).
    Admin tokens only: the workers are shared, so their backlog speaks of every tenant's traffic."""
    if who.tenant_id is not None:
        raise HTTPException(403, "the lag of the shared workers is for admin tokens")
    return Response((await state.lag.read()).model_dump_json(), media_type=_JSON)


@router.get("/health/live", response_model=HealthResponse, tags=["health"])
async def live() -> Response:
    """The process answers."""
    return Response(HealthResponse(status="ok").model_dump_json(), media_type=_JSON)


@router.get("/health/ready", response_model=HealthResponse, tags=["health"],
            responses={503: {"model": HealthResponse, "description": "A dependency did not answer."}})
async def ready(state: State) -> Response:
    """Redis, PostgreSQL and Kafka each answered in time (503 with the reasons otherwise)."""
    health = await readiness(state)
    return Response(health.model_dump_json(), status_code=200 if health.status == "ok" else 503, media_type=_JSON)


@router.get("/metrics", include_in_schema=False)
async def prometheus(request: Request) -> Response:
    """Prometheus text exposition of the service's own metrics."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
