"""Reading the service's answers: error bodies, Retry-After, and which failures are worth another try.

Kept apart from the client so the classification (the part that decides whether a document is retried,
dead-lettered or paid for again) is pure and tested on its own.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from streams.azure.errors import AzureAnalysisFailed, AzureInvalidDocument, AzureRejected

# Statuses of a finished operation's error that a fresh submission may not repeat.
TRANSIENT_OPERATION_CODES = frozenset(
    {"InternalServerError", "ServiceUnavailable", "Timeout", "TooManyRequests", "OperationTimeout"}
)
_INVALID_STATUSES = frozenset({400, 413, 415})


@dataclass(frozen=True, slots=True)
class ServiceError:
    """The `error` object of a service answer."""

    code: str | None
    inner_code: str | None
    message: str
    inner_message: str = ""

    @property
    def most_specific(self) -> str | None:
        return self.inner_code or self.code


def parse_error(body: bytes | str | Mapping[str, Any] | None) -> ServiceError:
    """The service's `{"error": {"code", "message", "innererror": {"code"}}}`, tolerant of anything else."""
    data: Any = body
    if isinstance(body, bytes | str):
        try:
            data = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            data = None
    error = data.get("error") if isinstance(data, Mapping) else None
    if not isinstance(error, Mapping):
        return ServiceError(None, None, "")
    inner = error.get("innererror")
    inner_code = inner.get("code") if isinstance(inner, Mapping) else None
    inner_message = inner.get("message", "") if isinstance(inner, Mapping) else ""
    code = error.get("code")
    return ServiceError(
        code if isinstance(code, str) else None,
        inner_code if isinstance(inner_code, str) else None,
        str(error.get("message", ""))[:300],
        str(inner_message)[:300],
    )


def retry_after_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the service asks us to wait: retry-after-ms, x-ms-retry-after-ms or Retry-After."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        if name in lowered:
            try:
                return max(0.0, float(lowered[name]) / 1000)
            except ValueError:
                pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def is_transient_status(status: int) -> bool:
    """5xx and 408 are the endpoint's trouble: retry, and count against its circuit."""
    return status >= 500 or status == 408


def permanent_error(status: int, error: ServiceError, what: str) -> AzureRejected:
    """The error a non-retriable 4xx becomes (never called for 408 or 429)."""
    message = f"{what} refused: HTTP {status} {error.most_specific or 'no error code'}"
    if status in _INVALID_STATUSES:
        return AzureInvalidDocument(message, status=status, service_code=error.most_specific)
    return AzureRejected(message, status=status, service_code=error.most_specific)


def failed_operation(error: ServiceError) -> AzureAnalysisFailed | None:
    """None if a failed operation is worth submitting again, else the permanent error it means."""
    if error.code in TRANSIENT_OPERATION_CODES or error.inner_code in TRANSIENT_OPERATION_CODES:
        return None
    message = f"analysis failed: {error.most_specific or 'no error code'}"
    return AzureAnalysisFailed(message, status=200, service_code=error.most_specific)
