-- What `invoiceflow serve` reads: an invoice's whole journey, the dead letters it left, and who may ask.
--
-- The scored event now carries when detection and extraction finished (older events do not: NULL), and the
-- aggregate stage records the trace id its message carried, so one row answers "where did this invoice spend
-- its time" and points at its trace. The decision history keeps each decision's own trace id.
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS detected_at timestamptz;
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS extracted_at timestamptz;
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS trace_id text;
ALTER TABLE decisions ADD COLUMN IF NOT EXISTS trace_id text;

-- Every record a stage gave up on, by where it was consumed (its origin topic, partition and offset: a
-- redelivered dead letter is the same row, so writing it again changes nothing). Tenant and invoice id are
-- what the record revealed (NULL when it revealed nothing, e.g. not JSON); `reason` is the error code.
CREATE TABLE IF NOT EXISTS dead_letters (
    topic      text        NOT NULL,
    part       integer     NOT NULL,
    "offset"   bigint      NOT NULL,
    tenant_id  text,
    invoice_id text,
    stage      text        NOT NULL,
    reason     text        NOT NULL,
    failed_at  timestamptz NOT NULL,
    PRIMARY KEY (topic, part, "offset")
);
CREATE INDEX IF NOT EXISTS dead_letters_invoice ON dead_letters (tenant_id, invoice_id, failed_at);

-- Bearer tokens of the API: only the SHA-256 of each token is kept (the token is shown once, when made).
-- A tenant token names its tenant; an admin token names none and sees every tenant. Revoked tokens stay
-- listed with the time they were revoked.
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id   text        PRIMARY KEY,
    sha256     bytea       NOT NULL UNIQUE CHECK (length(sha256) = 32),
    tenant_id  text        CHECK (tenant_id <> ''),
    admin      boolean     NOT NULL,
    label      text,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CHECK (admin = (tenant_id IS NULL))
);
