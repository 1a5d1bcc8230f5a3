"""The API service (`invoiceflow serve`): metrics from the Redis tables, invoice journeys, the live feed, the
dashboard, health, Prometheus.

One ASGI app (FastAPI) per `create_service(settings)`; `streams.service.server` runs it under uvicorn.
Endpoints: `GET /api/v1/metrics`, `GET /api/v1/invoices/{invoice_id}`, `GET /api/v1/stream` (Server-Sent
Events), `GET /api/v1/lag`, `GET /api/v1/reviews`, `POST /api/v1/invoices/{invoice_id}/review`,
`GET /api/v1/accuracy` (bearer token per tenant, or admin), `GET /` (the dashboard), `GET /health/live`,
`GET /health/ready`, `GET /metrics` (Prometheus).
"""

from streams.service.app import create_service

__all__ = ["create_service"]
