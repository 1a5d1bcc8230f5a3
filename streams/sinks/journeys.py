"""PostgreSQL: one invoice's journey, read in one round trip (what `GET /api/v1/invoices/{id}` answers).

The invoice row gives the latest state (its times, format, extractor, decision, cost, trace id) and the
extraction record its route; the decision history, the dead letters it left and the replays of those come
along as JSON arrays in the same row, so the answer is one statement, every table probed by its (tenant,
invoice) index. An invoice that was never scored but left dead letters still has a journey; one that left
nothing at all has none.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from schemas import DeadLetterEntry, DecisionEntry, InvoiceJourney, Reason, ReplayEntry, StageTimes
from streams.errors import SinkError

_JOURNEY = """
SELECT i.received_at, i.detected_at, i.extracted_at, i.scored_at, i.format, x.route, i.extractor, i.decision,
  i.score, i.reasons::text AS reasons, i.policy_version, i.pages, i.cost_usd, i.trace_id,
  (SELECT coalesce(jsonb_agg(to_jsonb(d) ORDER BY d.scored_at, d.event_id), '[]')::text FROM (
     SELECT event_id, decision, score, reasons, policy_version, scored_at, trace_id FROM decisions
     WHERE tenant_id = $1 AND invoice_id = $2) d) AS decisions,
  (SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.failed_at, l.topic, l.partition, l."offset"), '[]')::text
   FROM (SELECT stage, reason, topic, part AS partition, "offset", failed_at FROM dead_letters
         WHERE tenant_id = $1 AND invoice_id = $2) l) AS dead_letters,
  (SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.replayed_at, r.topic, r.partition, r."offset"), '[]')::text
   FROM (SELECT replay_id, topic, part AS partition, "offset", reason, replays, replayed_at FROM dlq_replayed
         WHERE tenant_id = $1 AND invoice_id = $2) r) AS replays
FROM (SELECT 1) AS one
LEFT JOIN invoices i ON i.tenant_id = $1 AND i.invoice_id = $2
LEFT JOIN invoice_extractions x ON x.tenant_id = i.tenant_id AND x.invoice_id = i.invoice_id
"""


async def read_journey(pool: Any, tenant_id: str, invoice_id: str) -> InvoiceJourney | None:
    """The journey of the tenant's invoice, or None when the records know nothing of it."""
    try:
        async with pool.acquire() as conn:
            row = await conn.fetchrow(_JOURNEY, tenant_id, invoice_id)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise SinkError(f"postgres journey: {type(exc).__name__}") from exc
    decisions, dead, replays = (orjson.loads(row[k]) for k in ("decisions", "dead_letters", "replays"))
    if row["scored_at"] is None and not (decisions or dead or replays):
        return None
    return InvoiceJourney(
        tenant_id=tenant_id, invoice_id=invoice_id, received_at=row["received_at"],
        detected_at=row["detected_at"], extracted_at=row["extracted_at"], scored_at=row["scored_at"],
        stage_times=stage_times(row["received_at"], row["detected_at"], row["extracted_at"], row["scored_at"]),
        format=row["format"], route=row["route"], extractor=row["extractor"], decision=row["decision"],
        score=row["score"], reasons=tuple(Reason(**r) for r in orjson.loads(row["reasons"] or "[]")),
        policy_version=row["policy_version"], paid_pages=row["pages"] or 0,
        cost_usd=row["cost_usd"] if row["cost_usd"] is not None else Decimal(0), trace_id=row["trace_id"],
        decisions=tuple(DecisionEntry(**d) for d in decisions),
        dead_letters=tuple(DeadLetterEntry(**d) for d in dead),
        replays=tuple(ReplayEntry(**r) for r in replays),
    )


def stage_times(received: datetime | None, detected: datetime | None, extracted: datetime | None,
                scored: datetime | None) -> StageTimes | None:
    """Each stage's share of an invoice's time (None without both ends; a stage without its times: None)."""
    if received is None or scored is None:
        return None

    def ms(a: datetime | None, b: datetime | None) -> float | None:
        return None if a is None or b is None else (b - a).total_seconds() * 1000

    return StageTimes(detect_ms=ms(received, detected), extract_ms=ms(detected, extracted),
                      score_ms=ms(extracted, scored), total_ms=(scored - received).total_seconds() * 1000)
