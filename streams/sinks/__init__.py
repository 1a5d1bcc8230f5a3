"""Where agents write: Protocols for the record store, the counters and the dedupe index.

Agents depend on these Protocols only. The real implementations talk to PostgreSQL (asyncpg) and Redis;
each has a `Fake*` twin in `streams.sinks.fakes` for unit tests, while integration tests use the servers.
"""

from streams.sinks._protocols import (
    CounterDelta,
    CounterStore,
    DedupeIndex,
    HistoryFacts,
    HistoryIndex,
    HistoryQuery,
    RecordStore,
    VendorFact,
)

__all__ = [
    "CounterDelta",
    "CounterStore",
    "DedupeIndex",
    "HistoryFacts",
    "HistoryIndex",
    "HistoryQuery",
    "RecordStore",
    "VendorFact",
]
