"""Worker logging that stays readable through an outage.

While the broker is away, aiokafka logs every reconnect attempt and every failed fetch, and a worker wrote
~6,000 ERROR lines for one 74-second outage: the one line an operator needs drowned. `RepeatFilter` lets
the first few records of each kind through per window and holds the rest back; the next record of that kind
let through says how many were held back. A kind is the logger, the level and the start of the message
template, so records that differ only in their arguments (a node id, an offset) count as one kind.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

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


def configure(level: str) -> None:
    """Root logging for a worker process: timestamps, the settings' level, repeats held back."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RepeatFilter())
