"""Run the API service under uvicorn (`invoiceflow serve`), bound to loopback unless the settings say otherwise.

uvicorn's access log is off: at a thousand requests a second it would cost more than the answers, and the
service's Prometheus metrics count requests by route and status anyway. Tokens travel only in the
Authorization header, which neither uvicorn nor the service logs.
"""

from __future__ import annotations

import uvicorn

from config.settings import Settings
from streams.service.app import create_service


def server(settings: Settings, port: int | None = None) -> uvicorn.Server:
    """A uvicorn server for the service (`port` overrides the settings' port; 0 picks a free one)."""
    config = uvicorn.Config(
        create_service(settings), host=settings.service_host,
        port=settings.service_port if port is None else port, access_log=False, server_header=False,
        proxy_headers=False, lifespan="on", log_level=settings.log_level.lower(),
    )
    return uvicorn.Server(config)


def serve(settings: Settings) -> int:
    """Serve until interrupted (SIGINT or SIGTERM)."""
    server(settings).run()
    return 0
