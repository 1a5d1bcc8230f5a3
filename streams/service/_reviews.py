"""The review endpoints: the review queue, saving a review (published to Kafka as `InvoiceReviewed`), and field
accuracy from the stored reviews.

A review is not written to PostgreSQL here: it is published to `invoices.reviewed`, like one from an ERP hook
or `invoiceflow review`, and the review stage stores it, so there is one way in and one writer. The invoice
must be the caller's tenant's and in the records (404 otherwise), so nothing is published for an invoice the
tenant cannot see. The producer is started on the first review and stopped with the service.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from config.settings import Settings
from config.topics import REVIEWED
from schemas import AccuracyResponse, InvoiceReviewed, ReviewAccepted, ReviewQueue, ReviewRequest
from streams.publisher import Publisher
from streams.service._auth import Principal, invoice_scope, metrics_scope
from streams.service._routes import _DENIED, Caller, State
from streams.sinks.reviews import PostgresReviews

router = APIRouter(tags=["reviews"])
_JSON = "application/json"
QUEUE_LIMIT = 200


class ReviewDesk:
    """The service's review publisher: one producer, started on the first review, stopped with the service."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._publisher: Publisher | None = None
        self._lock = asyncio.Lock()

    async def publish(self, event: InvoiceReviewed) -> str:
        """Publish one review (a `DependencyUnavailable` while Kafka is down); returns the topic."""
        async with self._lock:
            if self._publisher is None:
                self._publisher = await Publisher(self.settings, REVIEWED).__aenter__()
        await self._publisher.publish([event])
        return self._publisher.topic

    async def close(self) -> None:
        """Stop the producer if it was started."""
        if self._publisher is not None:
            await self._publisher.__aexit__(None, None, None)
            self._publisher = None


async def review_desk(request: Request) -> ReviewDesk:
    """The running service's review desk."""
    desk: ReviewDesk = request.app.state.reviews
    return desk


Desk = Annotated[ReviewDesk, Depends(review_desk)]


@router.get("/api/v1/reviews", response_model=ReviewQueue, responses={
    **_DENIED, 400: {"description": "An admin token did not name the tenant."}})
async def review_queue(
    state: State, who: Caller,
    tenant: Annotated[str | None, Query(description="The tenant (required with an admin token)")] = None,
    limit: Annotated[int, Query(ge=1, le=QUEUE_LIMIT, description="At most this many, oldest first")] = 50,
) -> Response:
    """The tenant's invoices whose latest decision is review and that nobody reviewed yet, with the fields
    extraction read (from PostgreSQL)."""
    queue = await PostgresReviews(await state.postgres()).queue(invoice_scope(who, tenant), limit)
    return Response(queue.model_dump_json(), media_type=_JSON)


@router.post("/api/v1/invoices/{invoice_id}/review", response_model=ReviewAccepted, status_code=202, responses={
    **_DENIED, 400: {"description": "An admin token did not name the tenant."},
    404: {"description": "The records know nothing of this invoice."},
    422: {"description": "The body breaks its contract (an unknown field name, a value of the wrong type)."}})
async def save_review(state: State, who: Caller, desk: Desk, invoice_id: str, body: ReviewRequest) -> Response:
    """Save a review: published to Kafka as an `InvoiceReviewed` event, which the review stage stores."""
    scope = invoice_scope(who, body.tenant)
    known = await PostgresReviews(await state.postgres()).extractions([(scope, invoice_id)])
    if not known:
        raise HTTPException(404, "no such invoice for this tenant")
    event = InvoiceReviewed(invoice_id=invoice_id, tenant_id=scope, corrections=body.corrections,
                            decision=body.decision, reviewer=body.reviewer or _reviewer(who),
                            reviewed_at=datetime.now(UTC))
    topic = await desk.publish(event)
    accepted = ReviewAccepted(event_id=event.event_id, invoice_id=invoice_id, tenant_id=scope, topic=topic)
    return Response(accepted.model_dump_json(), status_code=202, media_type=_JSON)


@router.get("/api/v1/accuracy", response_model=AccuracyResponse, responses=_DENIED)
async def accuracy(
    state: State, who: Caller,
    tenant: Annotated[str | None, Query(description="The tenant (admin: any, or all when left out)")] = None,
) -> Response:
    """Field accuracy from reviews (a field is right when the reviewer left it unchanged), per extractor and
    vendor (seller key) and per extractor (from PostgreSQL)."""
    found = await PostgresReviews(await state.postgres()).accuracy(metrics_scope(who, tenant))
    return Response(found.model_dump_json(), media_type=_JSON)


def _reviewer(who: Principal) -> str:
    return f"token:{who.token_id}"
