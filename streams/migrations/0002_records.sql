-- The rest of an invoice's record: its lines, how it was extracted, and the tenant's vendors.
-- Lines and the extraction record follow the invoice row: the record statement (streams/sinks/_record_sql.py)
-- is their only writer and writes them only together with the invoice row it inserts or replaces (a newer
-- scored event), so an older or redelivered event leaves them untouched. They carry no foreign key to
-- `invoices`: per-row RI checks cost ~9 us a line, 30% of a batch's server time, for an invariant that one
-- statement already keeps; delete an invoice's rows from every table by invoice_id. Lines and extractions
-- are read by invoice (their primary keys), tenant-wide questions go through `invoices`.

-- One row per invoice line (BG-25), numbered from 1 in document order.
CREATE TABLE IF NOT EXISTS invoice_lines (
    invoice_id  text    NOT NULL,
    line_no     integer NOT NULL CHECK (line_no >= 1),
    tenant_id   text    NOT NULL,
    line_id     text,
    description text,
    quantity    numeric,
    unit        text,
    unit_price  numeric,
    net_amount  numeric,
    tax_rate    numeric,
    PRIMARY KEY (invoice_id, line_no)
);

-- How the invoice's fields were read: reader, route, format, pages, what it cost, how sure each field is.
CREATE TABLE IF NOT EXISTS invoice_extractions (
    invoice_id  text    PRIMARY KEY,
    tenant_id   text    NOT NULL,
    event_id    text    NOT NULL,
    extractor   text    NOT NULL,
    route       text,                              -- NULL while the scored event does not carry it
    format      text    NOT NULL,
    pages       integer CHECK (pages >= 0),        -- pages of the document, NULL when unknown
    cost_pages  integer NOT NULL DEFAULT 0 CHECK (cost_pages >= 0),
    cost_model  text,
    cost_usd    numeric(12, 6) NOT NULL DEFAULT 0,
    confidences jsonb   NOT NULL DEFAULT '{}',
    reasons     jsonb                              -- extraction findings, NULL while not carried
);

-- Sellers a tenant knows: learned from auto-approved invoices (mirror of the Redis vendor hash) and from
-- the ERP vendor master (`invoiceflow vendors import`). One row per identity (vat:... or name:...).
CREATE TABLE IF NOT EXISTS vendors (
    tenant_id        text        NOT NULL,
    seller_key       text        NOT NULL,
    name             text,
    vat_id           text,
    iban             text,
    first_seen       timestamptz NOT NULL,
    last_approved_at timestamptz,
    invoice_count    integer     NOT NULL DEFAULT 0 CHECK (invoice_count >= 0),
    PRIMARY KEY (tenant_id, seller_key)
);
