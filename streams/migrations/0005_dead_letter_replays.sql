-- Dead-letter replays, as operators ran them (`invoiceflow dlq replay`, `dlq history`): who, when, what filter,
-- and what came of it; and every dead letter a replay put back, by where it sits on its dead-letter topic, so
-- a second replay of the same range does nothing (unless forced) and what a filtered replay did not match
-- stays replayable (it is simply not here). Nothing is consumed from the dead-letter topics: this table, not
-- a consumer group's offsets, says what was replayed.
CREATE TABLE IF NOT EXISTS dlq_replays (
    replay_id   text        PRIMARY KEY,
    topic_prefix text       NOT NULL,               -- the deployment's INVOICEFLOW_TOPIC_PREFIX
    operator    text        NOT NULL,
    stage       text        NOT NULL,
    filter      jsonb       NOT NULL,
    dry_run     boolean     NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    scanned     integer     NOT NULL DEFAULT 0,
    matched     integer     NOT NULL DEFAULT 0,
    replayed    integer     NOT NULL DEFAULT 0,
    already     integer     NOT NULL DEFAULT 0,
    refused     integer     NOT NULL DEFAULT 0,
    unreadable  integer     NOT NULL DEFAULT 0,
    outcome     text        NOT NULL DEFAULT 'running'
);
CREATE INDEX IF NOT EXISTS dlq_replays_started ON dlq_replays (topic_prefix, started_at);

CREATE TABLE IF NOT EXISTS dlq_replayed (
    topic       text        NOT NULL,
    part        integer     NOT NULL,
    "offset"    bigint      NOT NULL,
    replay_id   text        NOT NULL,
    replayed_at timestamptz NOT NULL,
    tenant_id   text,
    invoice_id  text,
    reason      text        NOT NULL,
    replays     integer     NOT NULL,
    PRIMARY KEY (topic, part, "offset")
);
CREATE INDEX IF NOT EXISTS dlq_replayed_invoice ON dlq_replayed (tenant_id, invoice_id);
