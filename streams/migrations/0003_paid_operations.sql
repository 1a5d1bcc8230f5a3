-- Paid analyses: the operation location of every analyze submitted to Azure Document Intelligence, stored
-- before polling, and its result once read. A redelivered, replayed or crashed document resumes polling the
-- stored operation (the service keeps results 24 h) or reuses the stored result instead of paying again.
CREATE TABLE IF NOT EXISTS paid_operations (
    tenant_id          text        NOT NULL,
    sha256             text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    model_id           text        NOT NULL,
    endpoint           text        NOT NULL,
    operation_location text        NOT NULL,
    submitted_at       timestamptz NOT NULL,
    result             jsonb,
    pages              integer     CHECK (pages >= 0),
    cost_usd           numeric(12, 6),
    completed_at       timestamptz,
    PRIMARY KEY (tenant_id, sha256, model_id)
);

-- Daily spend per tenant (pages and dollars billed on a day) reads only completed rows.
CREATE INDEX IF NOT EXISTS paid_operations_tenant_completed
    ON paid_operations (tenant_id, completed_at) WHERE completed_at IS NOT NULL;
