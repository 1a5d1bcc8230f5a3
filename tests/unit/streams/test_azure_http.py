"""Reading the service's answers: error codes, Retry-After, and what is worth another try."""

from __future__ import annotations

import email.utils

from streams.azure import AzureAnalysisFailed, AzureInvalidDocument, AzureRejected
from streams.azure._http import failed_operation, is_transient_status, parse_error, permanent_error, retry_after_s

INVALID = b'{"error":{"code":"InvalidRequest","message":"Invalid request.","innererror":{"code":"InvalidContent"}}}'


def test_parse_error_prefers_the_inner_code() -> None:
    error = parse_error(INVALID)
    assert (error.code, error.inner_code, error.most_specific) == ("InvalidRequest", "InvalidContent", "InvalidContent")
    assert parse_error(b"<html>bad gateway</html>").most_specific is None
    assert parse_error(None).code is None


def test_parse_error_keeps_the_inner_message_that_says_what_was_wrong() -> None:
    body = {"status": "failed", "error": {"code": "InvalidRequest", "message": "Invalid request.", "innererror": {
        "code": "TrainingContentMissing", "message": "Training data is missing: no fields.json."}}}
    error = parse_error(body)
    assert (error.message, error.inner_message) == ("Invalid request.", "Training data is missing: no fields.json.")
    assert parse_error(INVALID).inner_message == ""


def test_retry_after_forms() -> None:
    assert retry_after_s({"Retry-After": "2"}) == 2.0
    assert retry_after_s({"retry-after-ms": "250"}) == 0.25
    assert retry_after_s({"x-ms-retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    later = email.utils.formatdate(1_000_010, usegmt=True)
    assert retry_after_s({"Retry-After": later}, now=1_000_000) == 10.0
    assert retry_after_s({}) is None
    assert retry_after_s({"Retry-After": "soon"}) is None


def test_transient_statuses() -> None:
    assert all(is_transient_status(s) for s in (500, 502, 503, 504, 408))
    assert not any(is_transient_status(s) for s in (400, 401, 404, 429))


def test_permanent_errors_carry_the_service_code() -> None:
    invalid = permanent_error(400, parse_error(INVALID), "analyze")
    assert isinstance(invalid, AzureInvalidDocument)
    assert (invalid.status, invalid.service_code, invalid.retriable) == (400, "InvalidContent", False)
    denied = permanent_error(401, parse_error(b'{"error":{"code":"401","message":"Access denied"}}'), "analyze")
    assert type(denied) is AzureRejected and denied.service_code == "401"


def test_failed_operations_transient_or_not() -> None:
    assert failed_operation(parse_error({"error": {"code": "InternalServerError"}})) is None
    failed = failed_operation(parse_error({"error": {"code": "InvalidRequest", "innererror": {"code": "ModelFailed"}}}))
    assert isinstance(failed, AzureAnalysisFailed) and failed.service_code == "ModelFailed"
