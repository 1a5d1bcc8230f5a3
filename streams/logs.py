"""Worker logging that stays readable through an outage, as text or as one JSON object per line.

While the broker is away, aiokafka logs every reconnect attempt and every failed fetch, and a worker wrote
~6,000 ERROR lines for one 74-second outage: the one line an operator needs drowned. `RepeatFilter` lets
the first few records of each kind through per window and holds the rest back; the next record of that kind
let through says how many were held back. A kind is the logger, the level and the start of the message
template, so records that differ only in their arguments (a node id, an offset) count as one kind.

`INVOICEFLOW_LOG_FORMAT=json` writes each record as one JSON object (`JsonFormatter`) for log pipelines:
time, level, logger, message, and when the line is about one invoice its ids (a stage passes them with
`extra=`: trace id, span id, invoice id, tenant, stage, reason code), so a log line leads to its trace.
Only those named keys are taken from a record: a document's content never reaches a log through `extra`.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from datetime import UTC, datetime

import orjson
from opentelemetry import trace

_KEY_CHARS = 60
_MAX_KINDS = 1000


class RepeatFilter(logging.Filter):
    """At most `burst` records of each kind per `window_s`; the count of those held back rides on the next."""

    def __init__(self, window_s: float = 60.0, burst: int = 3) -> None:
        super().__init__()
        self.window_s = window_s
        self.burst = burst
        self._kinds: OrderedDict[tuple[str, int, str], list[float]] = OrderedDict()  # [since, passed, held]

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg)[:_KEY_CHARS])
        now = time.monotonic()
        seen = self._kinds.get(key)
        if seen is None or now - seen[0] >= self.window_s:
            held, since = (int(seen[2]), seen[0]) if seen else (0, now)
            self._kinds[key] = [now, 1, 0]
            self._kinds.move_to_end(key)
            while len(self._kinds) > _MAX_KINDS:
                self._kinds.popitem(last=False)
            if held:
                record.msg = f"{record.msg} [{held} more like this in the last {now - since:.0f} s]"
            return True
        if seen[1] < self.burst:
            seen[1] += 1
            return True
        seen[2] += 1
        return False


# what a record may add to its JSON line (set through `extra=`), in this order
RECORD_KEYS = ("trace_id", "span_id", "invoice_id", "tenant", "stage", "reason")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the record's ids, and the
    exception's type and traceback when there is one. The trace and span ids default to the current span's."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in RECORD_KEYS:
            value = record.__dict__.get(key)
            if value is not None:
                line[key] = value
        if "trace_id" not in line:
            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                line["trace_id"] = format(context.trace_id, "032x")
                line["span_id"] = format(context.span_id, "016x")
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            line["traceback"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(line, default=str).decode()


def configure(level: str, log_format: str = "text") -> None:
    """Root logging for a worker process: the settings' level and format (text or JSON), repeats held back."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True)
    for handler in logging.getLogger().handlers:
        if log_format == "json":
            handler.setFormatter(JsonFormatter())
        handler.addFilter(RepeatFilter())
