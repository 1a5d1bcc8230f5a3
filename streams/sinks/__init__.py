"""Where agents write: Protocols for the record store, the counters, the dead letters and the dedupe index.

Agents depend on these Protocols only. The real implementations talk to PostgreSQL (asyncpg) and Redis;
each has a `Fake*` twin in `streams.sinks.fakes` for unit tests, while integration tests use the servers.
"""

from streams.sinks._protocols import (
    CounterDelta,
    CounterStore,
    DeadLetterFact,
    DeadLetterStore,
    DedupeIndex,
    HistoryFacts,
    HistoryIndex,
    HistoryQuery,
    RecordStore,
    VendorFact,
    WindowReading,
)

__all__ = [
    "CounterDelta",
    "CounterStore",
    "DeadLetterFact",
    "DeadLetterStore",
    "DedupeIndex",
    "HistoryFacts",
    "HistoryIndex",
    "HistoryQuery",
    "RecordStore",
    "VendorFact",
    "WindowReading",
]
