"""The one error tree of invoiceflow.

```
InvoiceflowError                 code              retriable
├── DecodeError                  decode_error      no    (not JSON / not UTF-8)
├── SchemaError                  schema_error      no    (fails its pydantic contract)
├── HeaderError                  bad_header        no    (our retry headers forged or garbled)
├── UnreadableRecord             unreadable_record no    (Kafka cannot decode the record, e.g. its headers)
├── OutputRejected               output_rejected   no    (Kafka refused the stage's output, e.g. too large)
├── UnreadableDeadLetter         unreadable_dead_letter no (on a dead-letter topic, not a dead letter)
├── DocumentError                document_error    no
│   ├── DocumentNotFound         document_missing  no
│   ├── DocumentTooLarge         document_too_large no
│   ├── DocumentIntegrityError   document_digest   no    (sha256 or size mismatch)
│   └── DocumentNotAllowed       document_not_allowed no (outside the file roots or fetch allow-list)
├── RecordRefused                record_refused    no    (PostgreSQL refused what a batch holds, a data error:
│                                                        the batch is tried record by record, see `streams.stage`)
├── StageFailed                  stage_failed      no    (a stage raised something unforeseen on this record:
│                                                        a bug; the record is dead-lettered, the rest go on)
├── UnknownTenant                unknown_tenant    no
├── UnknownInvoice               unknown_invoice   no    (a review of an invoice the records do not hold)
├── PaidExtractionError          paid_error        no    (the service refused the document)
│   └── AzureRejected            paid_rejected     no    (streams/azure/errors.py: 4xx, with the service code)
│       ├── AzureInvalidDocument paid_invalid_document no (400 InvalidContent)
│       └── AzureAnalysisFailed  paid_analysis_failed  no (the operation ended in failure)
├── BudgetExhausted              budget_exhausted  yes   (daily page budget spent: wait)
│   └── AzurePageBudgetExhausted paid_page_budget  yes
├── DependencyUnavailable        dependency_down   yes   (Kafka, PostgreSQL, Redis, HTTP source)
│   ├── SinkError                sink_error        yes, held (PostgreSQL or Redis down: see `outage`)
│   └── PaidServiceUnavailable   paid_unavailable  yes
│       └── AzureTimeBudgetExceeded paid_time_budget yes (not finished within the per-document budget)
├── TrainingRejected             training_rejected no    (a custom model build refused or failed, with the
│                                                        service's code: `invoiceflow train`)
├── ThinEvidence                 thin_evidence     no    (too few reviews to calibrate a threshold)
└── ConfigError                  config_error      no    (refuse to start)
```
A stage routes a retriable error to its retry topic and any other `InvoiceflowError` to its dead-letter
topic stamped with `code`; anything else is a bug: the record that meets it is dead-lettered as
`StageFailed` (logged at ERROR with where it was raised), the others of its batch go on, and a stage whose
every record keeps failing so stops loudly (`streams.stage`). An error marked `outage` says that a
server every record needs is down (PostgreSQL, Redis): sending the record round the retry topic would only
spend its attempts, so the Kafka worker keeps it where it is, with its partition paused, and tries again
after a backoff, for as long as the outage lasts.
"""

from __future__ import annotations


class InvoiceflowError(Exception):
    """Base of every error this project raises on purpose."""

    code: str = "invoiceflow_error"
    retriable: bool = False
    outage: bool = False
    """A shared dependency is down: the record waits in place rather than in the retry topic."""


class DecodeError(InvoiceflowError):
    """A message value is not valid JSON (or not UTF-8)."""

    code = "decode_error"


class SchemaError(InvoiceflowError):
    """A message decodes but does not satisfy its schema."""

    code = "schema_error"


class HeaderError(InvoiceflowError):
    """A record's retry headers (attempt, not-before) are unreadable or out of bounds."""

    code = "bad_header"


class UnreadableRecord(InvoiceflowError):
    """Kafka's client cannot decode a record (a header key that is not UTF-8, a corrupt batch)."""

    code = "unreadable_record"


class OutputRejected(InvoiceflowError):
    """Kafka refused a message the stage made for the record (too large, invalid): it can never be sent."""

    code = "output_rejected"


class UnreadableDeadLetter(InvoiceflowError):
    """A record on a dead-letter topic that is neither a dead letter nor the legacy envelope (never replayed)."""

    code = "unreadable_dead_letter"


class DocumentError(InvoiceflowError):
    """The referenced document cannot be used."""

    code = "document_error"


class DocumentNotFound(DocumentError):
    """A file:// reference inside the allowed roots points at nothing, or a URL answered 404/410."""

    code = "document_missing"


class DocumentTooLarge(DocumentError):
    """A document is over the configured size cap."""

    code = "document_too_large"


class DocumentIntegrityError(DocumentError):
    """A document's bytes do not match the sha256 or size in its reference."""

    code = "document_digest"


class DocumentNotAllowed(DocumentError):
    """A reference this worker refuses to follow: outside the file roots, not a regular file, a host not in
    the fetch allow-list, a non-public address, a redirect elsewhere, or a source that refused us for good.

    Its message never says whether a refused file exists, nor its size, nor any path or URL: it goes back
    to the tenant in the dead letter.
    """

    code = "document_not_allowed"


class RecordRefused(InvoiceflowError):
    """PostgreSQL refused a value a batch carries (a data error, SQLSTATE class 22): no try will take it, so it
    is no outage; the stage runner tries the batch's records one by one to find the one it is."""

    code = "record_refused"


class StageFailed(InvoiceflowError):
    """A stage raised something other than an `InvoiceflowError` on one record: a bug that record meets (its
    cause and traceback are the original exception's; its message names the exception's class and where it
    was raised, never its text, which may quote the document)."""

    code = "stage_failed"


class UnknownTenant(InvoiceflowError):
    """The tenant has no policy and the settings refuse unknown tenants."""

    code = "unknown_tenant"


class UnknownInvoice(InvoiceflowError):
    """A review names an invoice the tenant's records do not hold (not scored yet, or never sent)."""

    code = "unknown_invoice"


class PaidExtractionError(InvoiceflowError):
    """The paid service refused the document for good (e.g. 400 invalid content)."""

    code = "paid_error"


class BudgetExhausted(InvoiceflowError):
    """The tenant's daily page budget is spent; the document waits in the retry path."""

    code = "budget_exhausted"
    retriable = True


class DependencyUnavailable(InvoiceflowError):
    """A server we depend on did not answer; trying again later may succeed."""

    code = "dependency_down"
    retriable = True


class SinkError(DependencyUnavailable):
    """Writing to PostgreSQL or Redis failed."""

    code = "sink_error"
    outage = True


class PaidServiceUnavailable(DependencyUnavailable):
    """The paid extraction service is throttling or failing past the time budget."""

    code = "paid_unavailable"


class ThinEvidence(InvoiceflowError):
    """Too few reviewed invoices to calibrate an auto-approve threshold for the target asked."""

    code = "thin_evidence"


class ConfigError(InvoiceflowError):
    """Settings or policy are invalid; the process refuses to start."""

    code = "config_error"


class TrainingRejected(InvoiceflowError):
    """Document Intelligence refused or failed a custom model build (e.g. too few labelled documents)."""

    code = "training_rejected"

    def __init__(self, message: str, *, service_code: str | None = None) -> None:
        super().__init__(message)
        self.service_code = service_code


ERROR_CODES: frozenset[str] = frozenset(
    cls.code
    for cls in (
        InvoiceflowError, DecodeError, SchemaError, HeaderError, UnreadableRecord, OutputRejected,
        UnreadableDeadLetter, DocumentError,
        DocumentNotFound, DocumentTooLarge, DocumentIntegrityError, DocumentNotAllowed, UnknownTenant,
        PaidExtractionError, BudgetExhausted, DependencyUnavailable, SinkError, PaidServiceUnavailable, ConfigError,
        TrainingRejected,
    )
)
