"""How the detect stage refuses a document without raising: a refusal Detection, and the time budget.

`agents.detect.detect` promises never to raise, so every refusal is a value: a Detection with route
``invalid`` (hostile, corrupt or over a limit) or ``unsupported`` (a real document in a format we do not
read), carrying one reason code. The format checks (`_xml_detection`, `_pdf_detection`) and the dispatch in
`agents.detect` all build their refusals here. The time budget is the one limit that cannot be checked at a
single point, so it is an exception raised between phases and turned into a refusal by `detect` alone.
"""

from __future__ import annotations

import time

from agents.readers._detection import Detection, reason
from agents.readers._errors import BudgetExceededError, RefusedError
from schemas import DocType, DocumentFormat, Route

__all__ = ["BudgetExceededError", "RefusedError", "check_budget", "invalid", "unsupported"]


def invalid(code: str, message: str, fmt: DocumentFormat = DocumentFormat.UNSUPPORTED) -> Detection:
    """A refusal of hostile, corrupt or oversized input: route ``invalid`` with one reason."""
    return Detection(format=fmt, doc_type=DocType.UNKNOWN, route=Route.INVALID, reasons=(reason(code, message),))


def unsupported(code: str, message: str, fmt: DocumentFormat = DocumentFormat.UNSUPPORTED) -> Detection:
    """A sound document we do not read (HTML, an encrypted PDF, non-invoice XML): route ``unsupported``."""
    return Detection(format=fmt, doc_type=DocType.UNKNOWN, route=Route.UNSUPPORTED, reasons=(reason(code, message),))


def check_budget(deadline: float) -> None:
    """Raise `BudgetExceededError` once `time.perf_counter()` has passed `deadline`."""
    if time.perf_counter() > deadline:
        raise BudgetExceededError
