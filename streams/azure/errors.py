"""The errors paid extraction raises, as leaves of the one tree in `streams/errors.py`.

Each leaf keeps its parent's routing (retriable -> retry topic, otherwise dead letter) but has its own
`code`, so a dead letter says exactly what the service or the quota logic decided. Permanent refusals carry
the service's own error code (e.g. `InvalidContent`) and HTTP status for the operator.
"""

from __future__ import annotations

from streams.errors import BudgetExhausted, PaidExtractionError, PaidServiceUnavailable


class AzureRejected(PaidExtractionError):
    """The service refused the request for good (4xx other than 429): bad key, unknown model..."""

    code = "paid_rejected"
    retriable = False

    def __init__(self, message: str, *, status: int, service_code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.service_code = service_code


class AzureInvalidDocument(AzureRejected):
    """400 InvalidRequest / InvalidContent (corrupt or unsupported document): dead-letter it."""

    code = "paid_invalid_document"


class AzureAnalysisFailed(AzureRejected):
    """The operation ended in status `failed` with an error that a new attempt would repeat."""

    code = "paid_analysis_failed"


class AzureTimeBudgetExceeded(PaidServiceUnavailable):
    """Throttling, 5xx or slowness kept the document past its time budget: retry it later."""

    code = "paid_time_budget"
    retriable = True


class AzurePageBudgetExhausted(BudgetExhausted):
    """The tenant's daily page budget would be exceeded: the document waits in the retry path."""

    code = "paid_page_budget"
    retriable = True


AZURE_ERROR_CODES: frozenset[str] = frozenset(
    cls.code
    for cls in (
        AzureRejected,
        AzureInvalidDocument,
        AzureAnalysisFailed,
        AzureTimeBudgetExceeded,
        AzurePageBudgetExhausted,
    )
)
