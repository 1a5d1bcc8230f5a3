-- Custom Document Intelligence models trained by `invoiceflow train`, one row per model built (or tried).
-- `accuracy` and `prebuilt_accuracy` are measured on the same held-back labelled examples; the extract stage
-- routes a vendor's invoices to the model whose state is 'active' (at most one per tenant and vendor).
-- States: building -> ready (built, not better than prebuilt) | active (routed to) | failed; ready/active ->
-- retired; ready -> active by `invoiceflow models promote`.
CREATE TABLE IF NOT EXISTS custom_models (
    model_id          text        PRIMARY KEY,
    tenant_id         text        NOT NULL,
    vendor            text        NOT NULL DEFAULT '',
    build_mode        text        NOT NULL CHECK (build_mode IN ('template', 'neural')),
    fields            text[]      NOT NULL,
    training_size     integer     NOT NULL CHECK (training_size >= 0),
    held_back         integer     NOT NULL CHECK (held_back >= 0),
    accuracy          double precision,
    prebuilt_accuracy double precision,
    state             text        NOT NULL CHECK (state IN ('building', 'ready', 'active', 'retired', 'failed')),
    error             text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS custom_models_one_active
    ON custom_models (tenant_id, vendor) WHERE state = 'active';
