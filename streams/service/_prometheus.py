"""The service's own Prometheus metrics: requests by route and status, request latency, the token cache's age.

Each app gets its own registry (never prometheus-client's global one), so two apps in one process (tests) do
not share counters and a scrape shows this service only. Requests are labelled by the route's template
(`/api/v1/invoices/{invoice_id}`), never the raw path, so the label set stays small whatever callers send;
a path no route matches is `unmatched`. The middleware is plain ASGI (Starlette's BaseHTTPMiddleware costs a
task per request).
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from streams.service._auth import TokenCache

_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """The registry and the metrics in it."""

    def __init__(self, tokens: TokenCache) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("invoiceflow_api_requests", "HTTP requests answered, by route, method and status.",
                                ("route", "method", "status"), registry=self.registry)
        self.latency = Histogram("invoiceflow_api_request_seconds", "Time to answer an HTTP request, by route.",
                                 ("route",), buckets=_LATENCY_BUCKETS, registry=self.registry)
        age = Gauge("invoiceflow_api_token_cache_age_seconds",
                    "Seconds since the API tokens were last loaded from PostgreSQL (+Inf before the first load).",
                    registry=self.registry)
        age.set_function(tokens.age_s)
        live = Gauge("invoiceflow_api_tokens", "Live API tokens the service knows.", registry=self.registry)
        live.set_function(lambda: tokens.size)


class RequestMetrics:
    """ASGI middleware counting and timing every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route: Any = scope.get("route")
            name = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(name, scope["method"], str(status)).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - start)
