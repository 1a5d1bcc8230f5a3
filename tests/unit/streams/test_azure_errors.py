"""Paid-extraction errors sit in the one tree with unique codes; the package surface is exactly `__all__`."""

from __future__ import annotations

from types import ModuleType

import streams.azure as surface
from streams.azure import (
    AZURE_ERROR_CODES,
    AzureAnalysisFailed,
    AzureInvalidDocument,
    AzurePageBudgetExhausted,
    AzureRejected,
    AzureTimeBudgetExceeded,
)
from streams.errors import ERROR_CODES, InvoiceflowError


def test_codes_are_unique_and_new() -> None:
    classes = (AzureRejected, AzureInvalidDocument, AzureAnalysisFailed, AzureTimeBudgetExceeded,
               AzurePageBudgetExhausted)
    assert len({c.code for c in classes}) == len(classes) == len(AZURE_ERROR_CODES)
    assert not AZURE_ERROR_CODES & ERROR_CODES
    assert all(issubclass(c, InvoiceflowError) for c in classes)


def test_routing_flags() -> None:
    assert AzureTimeBudgetExceeded.retriable and AzurePageBudgetExhausted.retriable
    assert not AzureInvalidDocument.retriable and not AzureRejected.retriable and not AzureAnalysisFailed.retriable
    err = AzureInvalidDocument("x", status=400, service_code="InvalidContent")
    assert (err.code, err.service_code, err.status) == ("paid_invalid_document", "InvalidContent", 400)


def test_all_matches_the_public_names() -> None:
    public = {n for n, v in vars(surface).items() if not n.startswith("_") and not isinstance(v, ModuleType)}
    assert sorted(surface.__all__) == surface.__all__
    assert set(surface.__all__) == public - {"annotations"}  # submodules imported elsewhere are not surface
