-- Reviews tied to their documents by reference, whichever way they came in (issue 15).
--
-- A review saved on the dashboard or by `invoiceflow review` names only the invoice; to teach the seller's
-- layout and to train a custom model, the review stage needs the document itself. The scored event now carries
-- the document's reference (file:// or https://, never inline bytes), the record keeps it with the invoice,
-- and the review stage stores, with each example, the reference it was tied to (the review's own when it names
-- the recorded document, else the recorded one). `invoiceflow train` loads the documents of approved reviews
-- through the document loader (file roots, https checks, size and sha256 verified). NULL: the document came
-- inline, or was recorded before its reference was kept; such a review teaches no layout and trains nothing.
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS document jsonb;
ALTER TABLE reviews ADD COLUMN IF NOT EXISTS document jsonb;
