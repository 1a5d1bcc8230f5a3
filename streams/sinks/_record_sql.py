"""The one statement that records a batch of scored events, and the vendor-master upsert.

Every table is written by a data-modifying CTE, so a batch costs one round trip. Events arrive as JSON
documents (`$3` newest per invoice, `$4` the batch's older ones) and are taken apart here: columns,
confidences, and the lines with their position. No path into an event is spelt by hand: each is a list of
`schemas.InvoiceScored`'s own field names (down to `InvoiceData` and `LineItem`), resolved against the model
when this module is imported (`_json_fields`), so a renamed field fails the import and a field's type sets its
cast; the contract is written once, in `schemas/`. All CTEs see the same snapshot, so nothing reads what
another CTE wrote; instead the invoice upsert RETURNs the rows it really wrote (new invoices and strictly
newer events), and every dependent write is driven by that set: the extraction record and the lines are
replaced only with their invoice row, and a vendor learns only from an approval that became the invoice's
recorded state. A redelivered or older event writes no invoice row, so it changes nothing (the decision
history ignores a known event id). Lines are upserted by position and the surplus deleted: the two touch
disjoint rows, so their order inside the statement does not matter and no row is touched twice; the
surplus is found by key (previous line count from the stored invoice), so the delete never scans the table.

Every row is keyed by tenant (migration 0004): an invoice by (tenant_id, invoice_id), a decision by
(tenant_id, event_id). Tenants choose invoice ids upstream, so two of them may send the same one, and
event ids do not name the tenant (they stay stable for replays), so every join, conflict target and
lookup here names the tenant too; `$1` and `$2` are the tenant and invoice ids of `$3`, side by side, so
the stored rows are probed by primary key without reading the JSON first.

The invoice row keeps the document's reference (`document`, migration 0010: file:// or https://; NULL for a
document sent inline), so that a later review, made wherever, is tied to a document it can load.

The extraction record (`route`, `pages`, `extraction_reasons`) comes from the scored event, which carries
what extraction found so the record can be written without reading another topic; so do the journey's
times (`detected_at`, `extracted_at`, NULL on events from before they were carried). An event's JSON may
carry one key the contract does not: `trace_id` (`_record_rows.TRACE_ID_KEY`, which no field of the contract
may take), the trace its message belonged to, read here into the invoice row and the decision history.
"""

from __future__ import annotations

from pydantic import BaseModel

from schemas import InvoiceScored
from streams.sinks._json_fields import JsonFields
from streams.sinks._record_rows import TRACE_ID_KEY, VENDOR_COLUMNS

# the vendor facts' arrays, $5 on, one per `VENDOR_COLUMNS` name
_VENDOR_ARRAYS = ", ".join(f"${n}::text[]" for n in range(5, 5 + len(VENDOR_COLUMNS)))


LEARN_VENDORS = """INSERT INTO vendors AS k (tenant_id, seller_key, name, vat_id, iban, first_seen, last_approved_at,
    invoice_count)
  SELECT tenant_id, seller_key, name, vat_id, iban, first_seen, last_approved_at, became_approved
  FROM approvals ORDER BY tenant_id, seller_key  -- one lock order across workers sharing a vendor
  ON CONFLICT (tenant_id, seller_key) DO UPDATE SET
    name = CASE WHEN k.last_approved_at > EXCLUDED.last_approved_at THEN k.name
                ELSE coalesce(EXCLUDED.name, k.name) END,
    vat_id = CASE WHEN k.last_approved_at > EXCLUDED.last_approved_at THEN k.vat_id
                  ELSE coalesce(EXCLUDED.vat_id, k.vat_id) END,
    iban = CASE WHEN k.last_approved_at > EXCLUDED.last_approved_at THEN k.iban ELSE EXCLUDED.iban END,
    first_seen = least(k.first_seen, EXCLUDED.first_seen),
    last_approved_at = greatest(k.last_approved_at, EXCLUDED.last_approved_at),
    invoice_count = k.invoice_count + EXCLUDED.invoice_count"""
"""Learn the sellers of CTE `approvals` (tenant_id, seller_key, name, vat_id, iban, first_seen, last_approved_at,
became_approved): the latest approval's name, VAT id and IBAN win, counts add up. Shared by the record
statement (auto-approvals) and the review statement (approving reviews, `reviews.py`)."""


def record_batch_statement(event: type[BaseModel] = InvoiceScored) -> str:
    """The record statement, its paths resolved against `event` (the contract; a test hands it a drifted copy).

    Raises:
        ContractPathError: `event` lacks a field the statement reads, or a field's type no longer fits its use.
    """
    e = JsonFields(event, "e")  # one event, as `_record_rows` wrote it
    inv = e.within("invoice", root="invoice")  # its extracted fields: the rows' and the stored `invoice`
    line = inv.within("lines", root="li.v")  # one of its lines
    fresh_lines = inv.at("c.invoice").json("lines")
    event_fields = f"""
    {e.column("invoice_id")}, {e.column("tenant_id")}, {e.column("event_id")},
    {e.column("decision")}, {e.column("score")}, jsonb_strip_nulls({e.json("reasons")}) AS reasons,
    {e.column("policy_version")}, {e.column("scored_at")}, {e.extra(TRACE_ID_KEY)} AS trace_id"""
    return f"""
WITH rows AS MATERIALIZED (
  SELECT {event_fields},
    nullif({e.json("invoice")}, 'null') AS invoice, {e.column("format")}, {e.column("extractor")},
    {e.column("document_sha256")}, jsonb_strip_nulls(nullif({e.json("document")}, 'null')) AS document,
    {e.column("received_at")},
    {e.column("detected_at")}, {e.column("extracted_at")},
    {e.column("cost", "usd")}, {e.column("cost", "pages")},
    {e.column("cost", "model")}, {e.column("route")}, {e.column("pages", name="doc_pages")},
    nullif({e.json("extraction_reasons")}, 'null') AS extraction_reasons
  FROM unnest($3::jsonb[]) AS u(e)
), older AS (
  SELECT {event_fields} FROM unnest($4::jsonb[]) AS u(e)
), vendor_rows AS (
  SELECT * FROM unnest({_VENDOR_ARRAYS}) AS v({", ".join(VENDOR_COLUMNS)})
), prev AS (
  SELECT tenant_id, invoice_id, decision, coalesce(jsonb_array_length({inv.json("lines")}), 0) AS line_count
  FROM invoices JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, invoice_id) USING (tenant_id, invoice_id)
), history AS (
  INSERT INTO decisions (event_id, invoice_id, tenant_id, decision, score, reasons, policy_version, scored_at,
    trace_id)
  SELECT event_id, invoice_id, tenant_id, decision, score, reasons, policy_version, scored_at, trace_id FROM rows
  UNION ALL
  SELECT event_id, invoice_id, tenant_id, decision, score, reasons, policy_version, scored_at, trace_id
  FROM older
  ON CONFLICT (tenant_id, event_id) DO NOTHING
), written AS (
  INSERT INTO invoices AS i (invoice_id, tenant_id, event_id, invoice_number, seller_name, seller_vat_id,
    currency, amount_due, issue_date, doc_type, format, extractor, document_sha256, document, decision, score,
    reasons, policy_version, cost_usd, pages, invoice, received_at, scored_at, detected_at, extracted_at, trace_id)
  SELECT invoice_id, tenant_id, event_id, {inv.value("invoice_number")}, {inv.value("seller", "name")},
    {inv.value("seller", "vat_id")}, {inv.value("currency")}, {inv.value("amount_due")},
    {inv.value("issue_date")}, {inv.value("doc_type")}, format, extractor, document_sha256, document, decision,
    score, reasons, policy_version, cost_usd, cost_pages, invoice, received_at, scored_at, detected_at, extracted_at,
    trace_id
  FROM rows
  ON CONFLICT (tenant_id, invoice_id) DO UPDATE SET
    event_id = EXCLUDED.event_id, invoice_number = EXCLUDED.invoice_number,
    seller_name = EXCLUDED.seller_name, seller_vat_id = EXCLUDED.seller_vat_id, currency = EXCLUDED.currency,
    amount_due = EXCLUDED.amount_due, issue_date = EXCLUDED.issue_date, doc_type = EXCLUDED.doc_type,
    format = EXCLUDED.format, extractor = EXCLUDED.extractor, document_sha256 = EXCLUDED.document_sha256,
    document = EXCLUDED.document, decision = EXCLUDED.decision, score = EXCLUDED.score, reasons = EXCLUDED.reasons,
    policy_version = EXCLUDED.policy_version, cost_usd = EXCLUDED.cost_usd, pages = EXCLUDED.pages,
    invoice = EXCLUDED.invoice, received_at = EXCLUDED.received_at, scored_at = EXCLUDED.scored_at,
    detected_at = EXCLUDED.detected_at, extracted_at = EXCLUDED.extracted_at, trace_id = EXCLUDED.trace_id,
    written_at = now()
  WHERE (i.scored_at, i.event_id) < (EXCLUDED.scored_at, EXCLUDED.event_id)
  RETURNING i.tenant_id, i.invoice_id, i.event_id, i.scored_at, i.decision
), fresh AS (
  SELECT r.* FROM rows r JOIN written w USING (tenant_id, invoice_id)
), extraction AS (
  INSERT INTO invoice_extractions AS x (invoice_id, tenant_id, event_id, extractor, route, format, pages,
    cost_pages, cost_model, cost_usd, confidences, reasons)
  SELECT invoice_id, tenant_id, event_id, extractor, route, format, doc_pages, cost_pages, cost_model,
    cost_usd, coalesce({inv.json("confidence")}, '{{}}'), extraction_reasons
  FROM fresh
  ON CONFLICT (tenant_id, invoice_id) DO UPDATE SET
    event_id = EXCLUDED.event_id, extractor = EXCLUDED.extractor,
    route = EXCLUDED.route, format = EXCLUDED.format, pages = EXCLUDED.pages, cost_pages = EXCLUDED.cost_pages,
    cost_model = EXCLUDED.cost_model, cost_usd = EXCLUDED.cost_usd, confidences = EXCLUDED.confidences,
    reasons = EXCLUDED.reasons
), lines_kept AS (
  INSERT INTO invoice_lines AS l (invoice_id, line_no, tenant_id, line_id, description, quantity, unit,
    unit_price, net_amount, tax_rate)
  SELECT c.invoice_id, li.n, c.tenant_id, {line.value("line_id")}, {line.value("description")},
    {line.value("quantity")}, {line.value("unit")}, {line.value("unit_price")}, {line.value("net_amount")},
    {line.value("tax_rate")}
  FROM fresh c, jsonb_array_elements({fresh_lines}) WITH ORDINALITY AS li(v, n)
  ON CONFLICT (tenant_id, invoice_id, line_no) DO UPDATE SET
    line_id = EXCLUDED.line_id, description = EXCLUDED.description,
    quantity = EXCLUDED.quantity, unit = EXCLUDED.unit, unit_price = EXCLUDED.unit_price,
    net_amount = EXCLUDED.net_amount, tax_rate = EXCLUDED.tax_rate
), shrunk AS (
  SELECT tenant_id, invoice_id, coalesce(jsonb_array_length({fresh_lines}), 0) AS keep
  FROM fresh c JOIN prev p USING (tenant_id, invoice_id)
  WHERE p.line_count > coalesce(jsonb_array_length({fresh_lines}), 0)
), lines_dropped AS (
  DELETE FROM invoice_lines l USING shrunk s
  WHERE l.tenant_id = ANY(ARRAY(SELECT tenant_id FROM shrunk))  -- probe the primary key, never scan
    AND l.invoice_id = ANY(ARRAY(SELECT invoice_id FROM shrunk))
    AND l.tenant_id = s.tenant_id AND l.invoice_id = s.invoice_id AND l.line_no > s.keep
), approvals AS (
  SELECT v.tenant_id, v.seller_key, min(w.scored_at) AS first_seen, max(w.scored_at) AS last_approved_at,
    count(*) FILTER (WHERE p.decision IS DISTINCT FROM 'auto_approve') AS became_approved,
    (array_agg(v.name ORDER BY w.scored_at DESC, w.event_id DESC))[1] AS name,
    (array_agg(v.vat_id ORDER BY w.scored_at DESC, w.event_id DESC))[1] AS vat_id,
    (array_agg(v.iban ORDER BY w.scored_at DESC, w.event_id DESC))[1] AS iban
  FROM vendor_rows v
  JOIN written w ON w.tenant_id = v.tenant_id AND w.event_id = v.event_id AND w.decision = 'auto_approve'
  LEFT JOIN prev p ON p.tenant_id = w.tenant_id AND p.invoice_id = w.invoice_id
  GROUP BY v.tenant_id, v.seller_key
), learned AS (
  {LEARN_VENDORS}
)
SELECT count(*) FROM written
"""


RECORD_BATCH = record_batch_statement()
RECORD_PARAMETERS = 4 + len(VENDOR_COLUMNS)

VENDOR_MASTER = """
INSERT INTO vendors AS k (tenant_id, seller_key, name, vat_id, iban, first_seen)
SELECT tenant_id, seller_key, name, vat_id, iban, now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
  AS m(tenant_id, seller_key, name, vat_id, iban)
ORDER BY tenant_id, seller_key
ON CONFLICT (tenant_id, seller_key) DO UPDATE SET
  name = coalesce(EXCLUDED.name, k.name), vat_id = coalesce(EXCLUDED.vat_id, k.vat_id), iban = EXCLUDED.iban
WHERE (k.name, k.vat_id, k.iban) IS DISTINCT FROM
      (coalesce(EXCLUDED.name, k.name), coalesce(EXCLUDED.vat_id, k.vat_id), EXCLUDED.iban)
"""

DELETE_TENANT = """
WITH gone AS (DELETE FROM invoices WHERE tenant_id = $1 RETURNING invoice_id),
lines AS (DELETE FROM invoice_lines WHERE tenant_id = $1),
extractions AS (DELETE FROM invoice_extractions WHERE tenant_id = $1),
history AS (DELETE FROM decisions WHERE tenant_id = $1),
known AS (DELETE FROM vendors WHERE tenant_id = $1),
dead AS (DELETE FROM dead_letters WHERE tenant_id = $1),
reviewed AS (DELETE FROM reviews WHERE tenant_id = $1)
SELECT count(*) FROM gone
"""
