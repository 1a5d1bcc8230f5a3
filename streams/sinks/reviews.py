"""PostgreSQL: reviews as labelled examples (table `reviews`, migration 0008), and what is read from them.

The review stage looks up the extraction each review corrects (the invoice row: scored event, extractor,
document, decision, score, fields) and stores the examples, one statement per batch each. An example is keyed
by (tenant, invoice): the same review again (same event id) changes nothing, and a different review of the
invoice replaces it only when it is later (reviewed_at, then event id), so the latest word wins whatever the
order of delivery. Each example keeps the reference of the document it is tied to (migration 0010), and an
approving review teaches the vendors table as an auto-approval does (in the same statement, only with a review
row it writes, an invoice counted once). The service and the CLI read the review queue (invoices whose latest
decision is review and that nobody reviewed yet), field accuracy per extractor and vendor, the outcomes
calibration weighs, and `invoiceflow train` the confirmed values of approving reviews with their documents.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from schemas import (
    CORRECTABLE,
    AccuracyGroup,
    AccuracyResponse,
    FieldAccuracy,
    InvoiceData,
    Reason,
    ReviewQueue,
    ReviewQueueItem,
    extracted_fields,
)
from streams.errors import RecordRefused, SinkError
from streams.sinks._protocols import LabelledExample, RecordedExtraction, VendorFact
from streams.sinks._record_rows import vendor_columns
from streams.sinks._record_sql import LEARN_VENDORS

__all__ = ["ConfirmedReview", "PostgresReviews", "ReviewOutcome", "accuracy_response", "latest_per_invoice"]

_EXTRACTIONS = """
SELECT i.tenant_id, i.invoice_id, i.event_id, i.extractor, i.document_sha256, i.decision, i.score, i.format,
       i.document::text AS document, i.invoice::text AS invoice,
       ARRAY(SELECT DISTINCT r->>'code' FROM jsonb_array_elements(i.reasons) AS r ORDER BY 1) AS reasons
FROM unnest($1::text[], $2::text[]) AS k(tenant_id, invoice_id)
JOIN invoices i ON i.tenant_id = k.tenant_id AND i.invoice_id = k.invoice_id
"""

_WRITE = f"""
WITH prev AS (
  SELECT r.tenant_id, r.invoice_id, r.decision FROM reviews r
  JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, invoice_id) USING (tenant_id, invoice_id)
), written AS (
INSERT INTO reviews AS r (tenant_id, invoice_id, event_id, document_sha256, extraction_event_id, extractor,
  seller_key, scored_decision, score, extracted, corrections, fields_right, decision, reviewer, reviewed_at,
  reason_codes, document)
SELECT t, i, e, d, x, ex, sk, sd, sc, xj::jsonb, cj::jsonb, fj::jsonb, dec, rv, at,
       coalesce(ARRAY(SELECT jsonb_array_elements_text(rj::jsonb)), '{{}}'), dj::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::float8[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[],
            $16::text[], $17::text[])
  AS u(t, i, e, d, x, ex, sk, sd, sc, xj, cj, fj, dec, rv, at, rj, dj)
ON CONFLICT (tenant_id, invoice_id) DO UPDATE SET
  event_id = EXCLUDED.event_id, document_sha256 = EXCLUDED.document_sha256,
  extraction_event_id = EXCLUDED.extraction_event_id, extractor = EXCLUDED.extractor,
  seller_key = EXCLUDED.seller_key, scored_decision = EXCLUDED.scored_decision, score = EXCLUDED.score,
  extracted = EXCLUDED.extracted, corrections = EXCLUDED.corrections, fields_right = EXCLUDED.fields_right,
  decision = EXCLUDED.decision, reviewer = EXCLUDED.reviewer, reviewed_at = EXCLUDED.reviewed_at,
  reason_codes = EXCLUDED.reason_codes, document = EXCLUDED.document, recorded_at = now()
WHERE r.event_id <> EXCLUDED.event_id AND (EXCLUDED.reviewed_at, EXCLUDED.event_id) > (r.reviewed_at, r.event_id)
RETURNING r.tenant_id, r.invoice_id, r.event_id, r.reviewed_at
), approvals AS (  -- an invoice counts once for its seller, however often its approval is reviewed again
  SELECT v.tenant_id, v.seller_key, min(w.reviewed_at) AS first_seen, max(w.reviewed_at) AS last_approved_at,
    count(*) FILTER (WHERE p.decision IS DISTINCT FROM 'approve') AS became_approved,
    (array_agg(v.name ORDER BY w.reviewed_at DESC, w.event_id DESC))[1] AS name,
    (array_agg(v.vat_id ORDER BY w.reviewed_at DESC, w.event_id DESC))[1] AS vat_id,
    (array_agg(v.iban ORDER BY w.reviewed_at DESC, w.event_id DESC))[1] AS iban
  FROM unnest($18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[])
    AS v(tenant_id, seller_key, event_id, name, vat_id, iban)
  JOIN written w ON w.tenant_id = v.tenant_id AND w.event_id = v.event_id
  LEFT JOIN prev p ON p.tenant_id = w.tenant_id AND p.invoice_id = w.invoice_id
  GROUP BY v.tenant_id, v.seller_key
), learned AS (
  {LEARN_VENDORS}
)
SELECT count(*) FROM written
"""

_QUEUE = """
SELECT i.invoice_id, i.scored_at, i.score, i.decision, i.extractor, i.reasons::text AS reasons,
       i.invoice::text AS invoice
FROM invoices i
WHERE i.tenant_id = $1 AND i.decision = 'review'
  AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.tenant_id = i.tenant_id AND r.invoice_id = i.invoice_id)
ORDER BY i.scored_at, i.invoice_id
LIMIT $2
"""

_ACCURACY = """
WITH mine AS (SELECT * FROM reviews WHERE $1::text IS NULL OR tenant_id = $1),
per_field AS (
  SELECT m.tenant_id, m.extractor, m.seller_key, k.key AS field, count(*) AS checked,
         count(*) FILTER (WHERE k.value = 'true') AS right_
  FROM mine m, jsonb_each(m.fields_right) AS k
  GROUP BY 1, 2, 3, 4)
SELECT g.tenant_id, g.extractor, g.seller_key, g.reviews,
  coalesce((SELECT jsonb_object_agg(p.field, jsonb_build_array(p.checked, p.right_)) FROM per_field p
            WHERE p.tenant_id = g.tenant_id AND p.extractor = g.extractor
              AND p.seller_key IS NOT DISTINCT FROM g.seller_key), '{}')::text AS fields
FROM (SELECT tenant_id, extractor, seller_key, count(*) AS reviews FROM mine GROUP BY 1, 2, 3) g
ORDER BY g.tenant_id, g.extractor, g.seller_key NULLS LAST
"""

_OUTCOMES = """
SELECT score, decision, fields_right::text AS fields_right, reason_codes FROM reviews WHERE tenant_id = $1
"""

_CONFIRMED = """
SELECT invoice_id, document::text AS document, extracted::text AS extracted, corrections::text AS corrections,
       count(*) OVER () AS total
FROM reviews
WHERE tenant_id = $1 AND decision = 'approve' AND document IS NOT NULL
  AND ($2::text IS NULL
       OR upper(replace(coalesce(corrections->>'seller.vat_id', extracted->>'seller.vat_id'), ' ', '')) = $2)
ORDER BY reviewed_at DESC, invoice_id DESC
LIMIT $3
"""

_SCORED = """
SELECT score, ARRAY(SELECT DISTINCT r->>'code' FROM jsonb_array_elements(reasons) AS r ORDER BY 1) AS reasons
FROM invoices WHERE tenant_id = $1
"""


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """What one review says about the score it corrects: the score, the final decision, each field's fate."""

    score: float
    decision: str
    fields_right: dict[str, bool]
    reason_codes: tuple[str, ...]
    """The reason codes of the decision the review corrected."""


@dataclass(frozen=True, slots=True)
class ConfirmedReview:
    """An approving review with its document: the values the reviewer confirmed, what a model is trained on."""

    invoice_id: str
    document_json: str
    """The document's reference (DocumentRef as JSON)."""
    fields: dict[str, Any]
    """Every field as the reviewer left it (JSON values by extraction name): corrected, else as extracted."""


class PostgresReviews:
    """The reviews on an asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def extractions(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], RecordedExtraction]:
        """The recorded extraction of each (tenant, invoice) the records hold (the others are absent)."""
        if not keys:
            return {}
        rows = await self._fetch(_EXTRACTIONS, [t for t, _ in keys], [i for _, i in keys])
        return {(r["tenant_id"], r["invoice_id"]): RecordedExtraction(
            r["tenant_id"], r["invoice_id"], r["event_id"], r["extractor"], r["document_sha256"], r["decision"],
            r["score"], r["invoice"], tuple(r["reasons"]), r["format"], r["document"]) for r in rows}

    async def write_examples(self, examples: Sequence[LabelledExample], vendors: Sequence[VendorFact] = ()) -> int:
        """Store a batch of examples (the latest per invoice); returns how many rows changed.

        `vendors` are the sellers the batch's approving reviews teach, each naming its review's event id: the
        vendors table learns one only when that review's row is written, and counts an invoice once.
        """
        latest = latest_per_invoice(examples)
        if not latest:
            return 0
        columns: list[list[Any]] = [
            [e.tenant_id for e in latest], [e.invoice_id for e in latest], [e.event_id for e in latest],
            [e.document_sha256 for e in latest], [e.extraction_event_id for e in latest],
            [e.extractor for e in latest], [e.seller_key for e in latest], [e.scored_decision for e in latest],
            [e.score for e in latest], [_json(e.extracted) for e in latest], [_json(e.corrections) for e in latest],
            [_json(e.fields_right) for e in latest], [e.decision for e in latest], [e.reviewer for e in latest],
            [e.reviewed_at for e in latest], [_json(list(e.reason_codes)) for e in latest],
            [e.document_json for e in latest], *vendor_columns(vendors, {(e.tenant_id, e.event_id) for e in latest})]
        try:
            async with self.pool.acquire() as conn:
                return int(await conn.fetchval(_WRITE, *columns))
        except asyncpg.DataError as exc:  # a value of the batch, not the server: no try will take it
            raise RecordRefused(f"postgres refused the reviews: {type(exc).__name__}") from exc
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise SinkError(f"postgres reviews: {type(exc).__name__}") from exc

    async def queue(self, tenant_id: str, limit: int) -> ReviewQueue:
        """The tenant's invoices whose latest decision is review and that nobody reviewed yet, oldest first."""
        rows = await self._fetch(_QUEUE, tenant_id, limit)
        return ReviewQueue(tenant_id=tenant_id, fields=CORRECTABLE, items=tuple(_queue_item(r) for r in rows))

    async def accuracy(self, tenant_id: str | None) -> AccuracyResponse:
        """Field accuracy from the reviews of one tenant (None: every tenant)."""
        rows = await self._fetch(_ACCURACY, tenant_id)
        return accuracy_response(tenant_id, [(r["tenant_id"], r["extractor"], r["seller_key"], r["reviews"],
                                              orjson.loads(r["fields"])) for r in rows])

    async def outcomes(self, tenant_id: str) -> list[ReviewOutcome]:
        """Every review of the tenant as calibration evidence."""
        rows = await self._fetch(_OUTCOMES, tenant_id)
        return [ReviewOutcome(r["score"], r["decision"], orjson.loads(r["fields_right"]), tuple(r["reason_codes"]))
                for r in rows]

    async def confirmed(self, tenant_id: str, vendor: str | None,
                        limit: int | None = None) -> tuple[list[ConfirmedReview], int]:
        """The tenant's approving reviews tied to a document, newest first (at most `limit`), and how many there
        are in all; of one seller when `vendor` (its VAT id, compact and upper case, as corrected, else as
        extracted) is given."""
        rows = await self._fetch(_CONFIRMED, tenant_id, vendor or None, limit)
        found = [ConfirmedReview(r["invoice_id"], r["document"],
                                 {**orjson.loads(r["extracted"]), **orjson.loads(r["corrections"])}) for r in rows]
        return found, rows[0]["total"] if rows else 0

    async def scored(self, tenant_id: str) -> list[tuple[float, tuple[str, ...]]]:
        """The score and reason codes of each of the tenant's invoices (their latest decision)."""
        return [(r["score"], tuple(r["reasons"])) for r in await self._fetch(_SCORED, tenant_id)]

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        try:
            async with self.pool.acquire() as conn:
                return list(await conn.fetch(sql, *args))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise SinkError(f"postgres reviews: {type(exc).__name__}") from exc


def latest_per_invoice(examples: Sequence[LabelledExample]) -> list[LabelledExample]:
    """One example per (tenant, invoice): the latest review (reviewed_at, then event id) of the batch."""
    best: dict[tuple[str, str], LabelledExample] = {}
    for e in examples:
        old = best.get((e.tenant_id, e.invoice_id))
        if old is None or (e.reviewed_at, e.event_id) > (old.reviewed_at, old.event_id):
            best[(e.tenant_id, e.invoice_id)] = e
    return list(best.values())


def _figure(checked: int, right: int) -> FieldAccuracy:
    return FieldAccuracy(checked=checked, right=right, accuracy=right / checked if checked else None)


def accuracy_response(tenant_id: str | None,
                      groups: Sequence[tuple[str, str, str | None, int, dict[str, list[int]]]]) -> AccuracyResponse:
    """The accuracy answer from (tenant, extractor, vendor, reviews, {field: [checked, right]}) per group."""
    built: list[AccuracyGroup] = []
    by_extractor: dict[str, list[int]] = {}
    whole = [0, 0]
    for tenant, extractor, vendor, reviews, fields in groups:
        checked = sum(c for c, _ in fields.values())
        right = sum(r for _, r in fields.values())
        built.append(AccuracyGroup(
            tenant_id=tenant, extractor=extractor, vendor=vendor, reviews=reviews, total=_figure(checked, right),
            fields={f: _figure(*fields[f]) for f in CORRECTABLE if f in fields}))
        sums = by_extractor.setdefault(extractor, [0, 0])
        sums[0] += checked
        sums[1] += right
        whole[0] += checked
        whole[1] += right
    return AccuracyResponse(tenant_id=tenant_id, groups=tuple(built),
                            extractors={x: _figure(*v) for x, v in sorted(by_extractor.items())},
                            total=_figure(*whole))


def _queue_item(row: Any) -> ReviewQueueItem:
    invoice = InvoiceData.model_validate_json(row["invoice"]) if row["invoice"] else None
    found = extracted_fields(invoice).model_dump(mode="json", exclude_none=True) if invoice else {}
    return ReviewQueueItem(
        invoice_id=row["invoice_id"], scored_at=row["scored_at"], score=row["score"], decision=row["decision"],
        extractor=row["extractor"], reasons=tuple(Reason(**r) for r in orjson.loads(row["reasons"] or "[]")),
        fields={name: None if found.get(name) is None else str(found[name]) for name in CORRECTABLE})


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))

