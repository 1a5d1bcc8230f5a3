-- Vendor layouts learned from reviewed text PDFs (agents/layouts.py): where each key field of a seller's
-- invoices stands (its label, its column, how its value is written), one row per tenant and vendor.
--
-- `vendor` is the seller's compact VAT id (else IBAN). Each review that teaches the layout something makes
-- the next `version` (the row is replaced only when the version it was learned on is still the stored one,
-- so two reviews learned at once cannot lose one another's rule silently); `learned_from` is that review's
-- event id, so the same review again changes nothing. The extract stage loads every row in one query and
-- keeps them for `vendor_layouts_refresh_s`.
CREATE TABLE IF NOT EXISTS vendor_layouts (
    tenant_id    text        NOT NULL,
    vendor       text        NOT NULL CHECK (vendor <> ''),
    version      integer     NOT NULL CHECK (version >= 1),
    layout       jsonb       NOT NULL,
    learned_from text        NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, vendor)
);
