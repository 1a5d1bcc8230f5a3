"""The one refusal error of the readers: every reader that gives a document up raises a `RefusedError` (or a
kind of it named after the reader) carrying a stable reason code; detect and extract turn it into a Reason."""

from __future__ import annotations


class RefusedError(Exception):
    """A reader refused its input; `code` is the stable reason code (a Reason.code), `message` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class BudgetExceededError(Exception):
    """Detection ran past its deadline; `agents.detect.detect` turns this into ``time_budget_exceeded``."""
