-- Records are keyed by tenant. Invoice ids are chosen by each tenant's upstream systems, so two tenants may
-- send the same one, and event ids (a uuid5 of stage, invoice id and upstream event id, without the tenant,
-- stable for replays) then collide too. Keyed by invoice id or event id alone, the second tenant's invoice
-- replaced the first's row (and Redis, which counts per tenant, disagreed with PostgreSQL); keyed by
-- (tenant_id, ...) each tenant has its own rows. Rows already stored keep their values: their old keys were
-- unique, so the wider ones are too, and the new keys need no data change. From here on an invoice's rows
-- are found, written and deleted by (tenant_id, invoice_id) in every table, and a tenant's rows by the
-- leading column of every primary key.
--
-- Idempotent like the files before it: a primary key that already has the wanted columns is left alone, so
-- a second run (say, after schema_migrations was lost) changes nothing. The runner holds its advisory lock
-- and one transaction around the file, so either every key changes or none does.
DO $$
DECLARE
    want record;
    pk   record;
BEGIN
    FOR want IN SELECT * FROM (VALUES
        ('invoices',            'tenant_id, invoice_id'),
        ('invoice_extractions', 'tenant_id, invoice_id'),
        ('invoice_lines',       'tenant_id, invoice_id, line_no'),
        ('decisions',           'tenant_id, event_id')
    ) AS w(tbl, cols)
    LOOP
        SELECT conname, pg_get_constraintdef(oid) AS def INTO pk
        FROM pg_constraint WHERE conrelid = want.tbl::regclass AND contype = 'p';
        CONTINUE WHEN pk.def = format('PRIMARY KEY (%s)', want.cols);
        IF pk.conname IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', want.tbl, pk.conname);
        END IF;
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (%s)', want.tbl, want.tbl || '_pkey',
                       want.cols);
    END LOOP;
END
$$;

-- An invoice's decision history, newest last, is read by (tenant, invoice); the primary key serves
-- "every decision of a tenant".
DROP INDEX IF EXISTS decisions_invoice;
CREATE INDEX IF NOT EXISTS decisions_tenant_invoice ON decisions (tenant_id, invoice_id, scored_at);
