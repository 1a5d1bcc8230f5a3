-- What reviewers said: one labelled example per reviewed invoice (the review stage, agents/review.py).
--
-- Each row ties a review to the document (its SHA-256) and to the extraction it corrects: the scored event
-- recorded for the invoice when the review was stored (`extraction_event_id`), its extractor, seller key,
-- decision, score and reason codes, and the field values as extracted. `corrections` holds the corrected values by field
-- name, `fields_right` each field that was read or corrected -> whether the reviewer left it unchanged (what
-- field accuracy counts). A resent review (same event id) changes nothing; a different, later review of the
-- same invoice replaces the example (the latest word wins).
CREATE TABLE IF NOT EXISTS reviews (
    tenant_id           text        NOT NULL,
    invoice_id          text        NOT NULL,
    event_id            text        NOT NULL,
    document_sha256     text        NOT NULL,
    extraction_event_id text        NOT NULL,
    extractor           text        NOT NULL,
    seller_key          text,
    scored_decision     text        NOT NULL,
    score               double precision NOT NULL,
    reason_codes        text[]      NOT NULL DEFAULT '{}',
    extracted           jsonb       NOT NULL,
    corrections         jsonb       NOT NULL,
    fields_right        jsonb       NOT NULL,
    decision            text        NOT NULL CHECK (decision IN ('approve', 'reject')),
    reviewer            text        NOT NULL,
    reviewed_at         timestamptz NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, invoice_id)
);
-- Accuracy per extractor and vendor reads a tenant's rows; the review queue probes by primary key.
CREATE INDEX IF NOT EXISTS reviews_tenant_extractor ON reviews (tenant_id, extractor, seller_key);
-- The review queue: a tenant's invoices whose latest decision is review, oldest first.
CREATE INDEX IF NOT EXISTS invoices_tenant_review ON invoices (tenant_id, scored_at) WHERE decision = 'review';
