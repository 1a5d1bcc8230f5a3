"""Where agents write: Protocols for the record store, the counters, the dead letters, the dedupe index and the
reviews.

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
    LabelledExample,
    RecordedExtraction,
    RecordStore,
    ReviewStore,
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
    "LabelledExample",
    "RecordStore",
    "RecordedExtraction",
    "ReviewStore",
    "VendorFact",
    "WindowReading",
]
