"""Paid extraction through Azure AI Document Intelligence: endpoint pool, quota, resume, cost.

The surface the extract stage uses: an `EndpointPool` of resources with their quotas (shared by all worker
processes through Redis: `SharedQuotas`) and circuit breakers, an `AzureExtractor` that analyzes a document
inside that quota and a time budget without ever paying twice (operations remembered in an
`OperationStore`), `cost_usd` for the bill, and `parse_error` for the service's error bodies.
"""

from streams.azure._http import ServiceError, parse_error
from streams.azure._sdk import AnalyzeOutcome, ExtractorConfig, build_client
from streams.azure.breaker import BreakerPolicy, BreakerState, Phase
from streams.azure.client import AzureExtractor
from streams.azure.errors import (
    AZURE_ERROR_CODES,
    AzureAnalysisFailed,
    AzureInvalidDocument,
    AzurePageBudgetExhausted,
    AzureRejected,
    AzureTimeBudgetExceeded,
)
from streams.azure.gate import Admission, SharedAdmission
from streams.azure.operations import (
    Billed,
    MemoryOperationStore,
    OperationStore,
    PostgresOperationStore,
    ResumeAction,
    StoredOperation,
    compact_result,
    resume_action,
)
from streams.azure.pool import EndpointConfig, EndpointLoad, EndpointPool, Lease, choose_endpoint
from streams.azure.prices import cost_usd, price_per_page
from streams.azure.shared_quota import SharedQuota, SharedQuotas

__all__ = [
    "AZURE_ERROR_CODES",
    "Admission",
    "AnalyzeOutcome",
    "AzureAnalysisFailed",
    "AzureExtractor",
    "AzureInvalidDocument",
    "AzurePageBudgetExhausted",
    "AzureRejected",
    "AzureTimeBudgetExceeded",
    "Billed",
    "BreakerPolicy",
    "BreakerState",
    "EndpointConfig",
    "EndpointLoad",
    "EndpointPool",
    "ExtractorConfig",
    "Lease",
    "MemoryOperationStore",
    "OperationStore",
    "Phase",
    "PostgresOperationStore",
    "ResumeAction",
    "ServiceError",
    "SharedAdmission",
    "SharedQuota",
    "SharedQuotas",
    "StoredOperation",
    "build_client",
    "choose_endpoint",
    "compact_result",
    "cost_usd",
    "parse_error",
    "price_per_page",
    "resume_action",
]
