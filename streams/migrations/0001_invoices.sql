-- Scored invoices: one row per invoice, the latest state wins (ordered by scored_at, then event id).
CREATE TABLE IF NOT EXISTS invoices (
    invoice_id      text PRIMARY KEY,
    tenant_id       text        NOT NULL,
    event_id        text        NOT NULL,
    invoice_number  text,
    seller_name     text,
    seller_vat_id   text,
    currency        text,
    amount_due      numeric(18, 2),
    issue_date      date,
    doc_type        text,
    format          text        NOT NULL,
    extractor       text        NOT NULL,
    document_sha256 text        NOT NULL,
    decision        text        NOT NULL,
    score           double precision NOT NULL,
    reasons         jsonb       NOT NULL DEFAULT '[]',
    policy_version  text        NOT NULL,
    cost_usd        numeric(12, 6) NOT NULL DEFAULT 0,
    pages           integer     NOT NULL DEFAULT 0,
    invoice         jsonb,
    received_at     timestamptz NOT NULL,
    scored_at       timestamptz NOT NULL,
    written_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS invoices_tenant_scored ON invoices (tenant_id, scored_at);

-- Every decision ever taken, one row per scored event (idempotent on event id).
CREATE TABLE IF NOT EXISTS decisions (
    event_id       text PRIMARY KEY,
    invoice_id     text        NOT NULL,
    tenant_id      text        NOT NULL,
    decision       text        NOT NULL,
    score          double precision NOT NULL,
    reasons        jsonb       NOT NULL DEFAULT '[]',
    policy_version text        NOT NULL,
    scored_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_invoice ON decisions (invoice_id, scored_at);
