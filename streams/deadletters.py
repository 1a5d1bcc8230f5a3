"""The dead-letter record: the original message untouched, and headers that say where it came from and why.

A dead letter keeps the original key, value bytes and headers as they were consumed (the value is not
wrapped), so generic Kafka tooling can read it and put it back, and it adds the headers Spring Kafka's
DeadLetterPublishingRecoverer writes, with Spring's encodings (partition a 4-byte and offset and timestamp
8-byte big-endian integers, the rest UTF-8), so tools that already understand those find them:

    kafka_dlt-original-topic, -original-partition, -original-offset, -original-timestamp,
    -original-timestamp-type, -original-consumer-group, -exception-fqcn, -exception-message,
    -exception-stacktrace

The stacktrace header is a digest (the exception class and the code locations it passed through, hashed),
never the traceback text: messages and frames are ours, but a digest cannot carry a document's content by
construction, and equal digests still group equal failures. Ours, as text for kcat and humans:
`x-invoiceflow-error` (the reason code), `-stage`, `-attempts`, `-first-failure` (when the record first
failed, ISO 8601), `-replays` (how often an operator put it back), `-tenant` and `-invoice-id` when the
message revealed them.

`read_dead_letter` reads either this format or the JSON envelope dead letters had before (value wrapped as
base64 in a `DeadLetter`), so what sits on a topic from before can still be listed and replayed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from schemas import DeadLetter
from streams.codecs import peek_ids
from streams.errors import InvoiceflowError, UnreadableDeadLetter
from streams.headers import ATTEMPT_HEADER, ERROR_HEADER, FIRST_FAILURE_HEADER, NOT_BEFORE_HEADER, header

Headers = list[tuple[str, bytes]]

DLT = "kafka_dlt-"
ORIGINAL_TOPIC = f"{DLT}original-topic"
ORIGINAL_PARTITION = f"{DLT}original-partition"
ORIGINAL_OFFSET = f"{DLT}original-offset"
ORIGINAL_TIMESTAMP = f"{DLT}original-timestamp"
ORIGINAL_TIMESTAMP_TYPE = f"{DLT}original-timestamp-type"
ORIGINAL_GROUP = f"{DLT}original-consumer-group"
EXCEPTION_FQCN = f"{DLT}exception-fqcn"
EXCEPTION_MESSAGE = f"{DLT}exception-message"
EXCEPTION_STACKTRACE = f"{DLT}exception-stacktrace"

STAGE_HEADER = "x-invoiceflow-stage"
ATTEMPTS_HEADER = "x-invoiceflow-attempts"
REPLAYS_HEADER = "x-invoiceflow-replays"
TENANT_HEADER = "x-invoiceflow-tenant"
INVOICE_HEADER = "x-invoiceflow-invoice-id"

_OURS = (ERROR_HEADER, STAGE_HEADER, ATTEMPTS_HEADER, FIRST_FAILURE_HEADER, TENANT_HEADER, INVOICE_HEADER)
_TIMESTAMP_TYPES = {0: "CreateTime", 1: "LogAppendTime"}
_MESSAGE_CHARS = 500


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record was consumed: topic, partition, offset, timestamp (ms, -1: unknown) and its type."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int = -1
    timestamp_type: int = 0


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a stage gave a record up."""

    stage: str
    error: InvoiceflowError
    attempts: int
    group: str
    first_failure: datetime | None = None


def stack_digest(exc: BaseException) -> str:
    """The exception's class and a digest of the code locations it passed through (never any text of it)."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    where = "|".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}:{f.name}" for f in frames)
    fqcn = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return f"{fqcn} sha256:{hashlib.sha256(f'{fqcn}|{where}'.encode()).hexdigest()[:16]} ({len(frames)} frames)"


def is_dead_letter_header(name: str) -> bool:
    """Whether a header is one a dead letter adds (dropped when the record is put back)."""
    return name.startswith(DLT) or name in _OURS


def dead_letter_headers(original: Sequence[tuple[str, bytes | None]], origin: Origin, failure: Failure,
                        value: bytes | None) -> Headers:
    """The original headers (as consumed, minus a previous dead letter's) followed by the dead-letter headers."""
    exc = failure.error
    first = failure.first_failure or datetime.now(UTC)
    kept = [(k, v if v is not None else b"") for k, v in original if not is_dead_letter_header(k)]
    added: Headers = [
        (ORIGINAL_TOPIC, origin.topic.encode()),
        (ORIGINAL_PARTITION, struct.pack(">i", origin.partition)),
        (ORIGINAL_OFFSET, struct.pack(">q", origin.offset)),
        (ORIGINAL_TIMESTAMP, struct.pack(">q", origin.timestamp_ms)),
        (ORIGINAL_TIMESTAMP_TYPE, _TIMESTAMP_TYPES.get(origin.timestamp_type, "CreateTime").encode()),
        (ORIGINAL_GROUP, failure.group.encode()),
        (EXCEPTION_FQCN, f"{type(exc).__module__}.{type(exc).__qualname__}".encode()),
        (EXCEPTION_MESSAGE, (str(exc) or type(exc).__name__)[:_MESSAGE_CHARS].encode()),
        (EXCEPTION_STACKTRACE, stack_digest(exc).encode()),
        (ERROR_HEADER, exc.code.encode()),
        (STAGE_HEADER, failure.stage.encode()),
        (ATTEMPTS_HEADER, str(failure.attempts).encode()),
        (FIRST_FAILURE_HEADER, first.isoformat().encode()),
    ]
    invoice_id, tenant_id = peek_ids(value)
    if tenant_id:
        added.append((TENANT_HEADER, tenant_id.encode()))
    if invoice_id:
        added.append((INVOICE_HEADER, invoice_id.encode()))
    return kept + added


@dataclass(frozen=True, slots=True)
class DeadLetterView:
    """A dead letter as an operator needs it, whichever format it was written in."""

    at: Origin
    """Where the dead letter itself sits."""
    origin: Origin
    """Where the original message was consumed."""
    stage: str
    reason: str
    message: str
    fqcn: str
    digest: str
    attempts: int
    replays: int
    first_failure: datetime | None
    tenant: str | None
    invoice_id: str | None
    key: bytes | None
    value: bytes | None
    headers: Headers
    """The original headers (the dead-letter headers removed)."""
    dead_letter_headers: Headers
    legacy: bool = False

    @property
    def trace_id(self) -> str | None:
        """The W3C trace id the original message carried."""
        parent = header(self.headers, "traceparent")
        parts = parent.decode("latin-1").split("-") if parent else []
        return parts[1] if len(parts) == 4 else None

    def replay_headers(self) -> Headers:
        """The headers to put the original back with: its own (retry state dropped), replay count + 1."""
        dropped = (ATTEMPT_HEADER, NOT_BEFORE_HEADER, REPLAYS_HEADER)
        kept = [(k, v) for k, v in self.headers if k not in dropped]
        return [*kept, (REPLAYS_HEADER, str(self.replays + 1).encode())]


def _text(headers: Iterable[tuple[str, bytes | None]], name: str) -> str | None:
    raw = header(headers, name)
    return raw.decode("utf-8", "replace") if raw is not None else None


def _int(headers: Iterable[tuple[str, bytes | None]], name: str, fmt: str, default: int) -> int:
    raw = header(headers, name)
    try:
        return int(struct.unpack(fmt, raw)[0]) if raw is not None else default
    except struct.error:
        return default


def _count(text: str | None) -> int:
    return int(text) if text is not None and text.isdigit() and len(text) < 7 else 0


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def read_dead_letter(at: Origin, key: bytes | None, value: bytes | None,
                     headers: Sequence[tuple[str, bytes | None]]) -> DeadLetterView:
    """The view of one record of a dead-letter topic (this format or the legacy envelope).

    Raises:
        UnreadableDeadLetter: it is neither (anyone can write to a topic).
    """
    raw = [(k, v if v is not None else b"") for k, v in headers]
    if header(raw, ORIGINAL_TOPIC) is None:
        return _legacy(at, key, value, raw)
    origin = Origin(_text(raw, ORIGINAL_TOPIC) or "?", _int(raw, ORIGINAL_PARTITION, ">i", -1),
                    _int(raw, ORIGINAL_OFFSET, ">q", -1), _int(raw, ORIGINAL_TIMESTAMP, ">q", -1),
                    1 if _text(raw, ORIGINAL_TIMESTAMP_TYPE) == "LogAppendTime" else 0)
    invoice_id, tenant = _text(raw, INVOICE_HEADER), _text(raw, TENANT_HEADER)
    if invoice_id is None or tenant is None:
        peeked = peek_ids(value)
        invoice_id, tenant = invoice_id or peeked[0], tenant or peeked[1]
    return DeadLetterView(
        at=at, origin=origin, stage=_text(raw, STAGE_HEADER) or "?", reason=_text(raw, ERROR_HEADER) or "?",
        message=_text(raw, EXCEPTION_MESSAGE) or "", fqcn=_text(raw, EXCEPTION_FQCN) or "",
        digest=_text(raw, EXCEPTION_STACKTRACE) or "", attempts=_count(_text(raw, ATTEMPTS_HEADER)),
        replays=_count(_text(raw, REPLAYS_HEADER)), first_failure=_when(_text(raw, FIRST_FAILURE_HEADER)),
        tenant=tenant, invoice_id=invoice_id, key=key, value=value,
        headers=[(k, v) for k, v in raw if not is_dead_letter_header(k)],
        dead_letter_headers=[(k, v) for k, v in raw if is_dead_letter_header(k)],
    )


def _legacy(at: Origin, key: bytes | None, value: bytes | None, raw: Headers) -> DeadLetterView:
    try:
        letter = DeadLetter.model_validate_json(value or b"")
        original = base64.b64decode(letter.payload_b64, validate=True)
    except (ValidationError, binascii.Error, ValueError) as exc:
        raise UnreadableDeadLetter("not a dead letter: no kafka_dlt headers and no legacy envelope") from exc
    headers = [(k, v.encode()) for k, v in letter.headers.items()]
    return DeadLetterView(
        at=at, origin=Origin(letter.source_topic, letter.partition, letter.offset), stage=letter.stage,
        reason=letter.error_code, message=letter.error_message, fqcn="", digest="", attempts=letter.attempts,
        replays=_count(_text(headers, REPLAYS_HEADER)), first_failure=letter.failed_at, tenant=letter.tenant_id,
        invoice_id=letter.invoice_id, key=key if key is not None else (letter.key or "").encode() or None,
        value=original or None, headers=[(k, v) for k, v in headers if not is_dead_letter_header(k)],
        dead_letter_headers=raw, legacy=True,
    )


def view_of(record: Any) -> DeadLetterView:
    """`read_dead_letter` of a consumed record (an aiokafka `ConsumerRecord` or alike)."""
    at = Origin(record.topic, record.partition, record.offset, getattr(record, "timestamp", -1),
                getattr(record, "timestamp_type", 0))
    return read_dead_letter(at, record.key, record.value, list(record.headers or ()))
