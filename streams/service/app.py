"""The app factory of `invoiceflow serve`: one FastAPI app per call, nothing opened until it starts.

`create_service(settings)` wires the routes, the dashboard page (`/`, its files under `/static`), the
request metrics and the error mapping, and gives the app a lifespan that opens its Redis client, starts
loading API tokens and following the live feed (and stops them when it stops). Errors of the error tree that
reach a route become 503 when retriable (a store is down: try again) and 500 otherwise, with the error's code
and never its message (which may name an internal detail).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from config.settings import Settings
from streams.errors import InvoiceflowError
from streams.service._prometheus import RequestMetrics, ServiceMetrics
from streams.service._reviews import ReviewDesk
from streams.service._reviews import router as reviews_router
from streams.service._routes import router
from streams.service._state import ServiceState

DASHBOARD = Path(__file__).with_name("dashboard")
"""The dashboard's files: plain HTML, CSS and JavaScript, served as they are (no build step)."""


def create_service(settings: Settings) -> FastAPI:
    """A new app serving the API for `settings` (its state opens when the app's lifespan starts)."""
    state = ServiceState(settings)
    metrics = ServiceMetrics(state.tokens)
    desk = ReviewDesk(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await desk.close()
            await state.stop()

    app = FastAPI(title="invoiceflow", summary="Metrics and invoice journeys of the invoiceflow pipeline.",
                  version="1", lifespan=lifespan)
    app.state.invoiceflow = state
    app.state.metrics = metrics
    app.state.reviews = desk
    app.include_router(router)
    app.include_router(reviews_router)
    app.mount("/static", StaticFiles(directory=DASHBOARD), name="static")

    @app.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        """The dashboard page (it asks for a token, then reads the API like any client)."""
        return FileResponse(DASHBOARD / "index.html", headers={"Cache-Control": "no-cache"})

    app.add_middleware(RequestMetrics, metrics=metrics)

    async def store_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InvoiceflowError)
        return JSONResponse({"detail": exc.code}, status_code=503 if exc.retriable else 500)

    app.add_exception_handler(InvoiceflowError, store_error)
    return app
