"""Export the contracts: one JSON Schema per event and an AsyncAPI 3.0 document of every topic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from config.settings import Settings
from config.topics import all_topics
from schemas import EVENT_TYPES
from streams.deadletters import (
    ATTEMPTS_HEADER,
    EXCEPTION_FQCN,
    EXCEPTION_MESSAGE,
    EXCEPTION_STACKTRACE,
    INVOICE_HEADER,
    ORIGINAL_GROUP,
    ORIGINAL_OFFSET,
    ORIGINAL_PARTITION,
    ORIGINAL_TIMESTAMP,
    ORIGINAL_TIMESTAMP_TYPE,
    ORIGINAL_TOPIC,
    REPLAYS_HEADER,
    STAGE_HEADER,
    TENANT_HEADER,
)
from streams.headers import ERROR_HEADER, FIRST_FAILURE_HEADER
from streams.topics import topic_name


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema (draft 2020-12, as pydantic emits it) of each event, by model name."""
    return {model.__name__: model.model_json_schema(mode="serialization") for model in EVENT_TYPES}


_TRACE = {"traceparent": {"type": "string"}, "tracestate": {"type": "string"}}
_DEAD_LETTER_HEADERS: dict[str, tuple[str, str]] = {
    ORIGINAL_TOPIC: ("string", "Topic the original message was consumed from."),
    ORIGINAL_PARTITION: ("binary", "Its partition: a 4-byte big-endian integer (as Spring Kafka writes it)."),
    ORIGINAL_OFFSET: ("binary", "Its offset: an 8-byte big-endian integer."),
    ORIGINAL_TIMESTAMP: ("binary", "Its timestamp in ms: an 8-byte big-endian integer."),
    ORIGINAL_TIMESTAMP_TYPE: ("string", "CreateTime or LogAppendTime."),
    ORIGINAL_GROUP: ("string", "The consumer group that gave it up."),
    EXCEPTION_FQCN: ("string", "The error's class."),
    EXCEPTION_MESSAGE: ("string", "What went wrong (never document content)."),
    EXCEPTION_STACKTRACE: ("string", "A digest of where it went wrong (never the trace's text)."),
    ERROR_HEADER: ("string", "The reason code (InvoiceflowError.code)."),
    STAGE_HEADER: ("string", "The stage that gave it up."),
    ATTEMPTS_HEADER: ("string", "How many times it was tried."),
    FIRST_FAILURE_HEADER: ("string", "When it first failed (ISO 8601)."),
    REPLAYS_HEADER: ("string", "How many times an operator put it back."),
    TENANT_HEADER: ("string", "Its tenant, when the message revealed one."),
    INVOICE_HEADER: ("string", "Its invoice id, when the message revealed one."),
}


def _message(name: str, payload: str, headers: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "contentType": "application/json", "payload": {"$ref": f"#/components/schemas/{payload}"},
            "headers": {"type": "object", "properties": headers}}


def asyncapi_document(settings: Settings) -> dict[str, Any]:
    """An AsyncAPI 3.0 document: a channel per topic, a message per payload, receive/send operations.

    A dead-letter topic carries its stage's input message untouched, with the dead-letter headers
    (`streams.deadletters`): its message is `<Payload>DeadLetter`.
    """
    schemas = json_schemas()
    messages = {name: _message(name, name, _TRACE) for name in schemas}
    dead = {name: {"type": "string", "description": about} if kind == "string" else
            {"type": "string", "contentEncoding": "binary", "description": about}
            for name, (kind, about) in _DEAD_LETTER_HEADERS.items()}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for spec in all_topics(len(settings.retry_delays_s)):
        cid = spec.name.replace(".", "_")
        message = spec.payload + ("DeadLetter" if spec.role == "dead_letter" else "")
        if message not in messages:
            messages[message] = _message(message, spec.payload, {**_TRACE, **dead})
        channels[cid] = {
            "address": topic_name(settings, spec.name),
            "description": f"{spec.role} topic of the {spec.stage} stage",
            "messages": {message: {"$ref": f"#/components/messages/{message}"}},
            "bindings": {"kafka": {"partitions": settings.topic_partitions,
                                   "replicas": settings.topic_replication}},
        }
        operations[f"{spec.stage}_receives_{cid}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{message}"}],
        }
    components_schemas: dict[str, Any] = {}
    for name, schema in schemas.items():
        defs = schema.pop("$defs", {})
        components_schemas.update(defs)
        components_schemas[name] = schema
    text = json.dumps(components_schemas).replace("#/$defs/", "#/components/schemas/")
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "invoiceflow", "version": "1.0.0",
                 "description": "Invoice events: received -> detected -> extracted -> scored, and reviews; keyed by "
                                "invoice id."},
        "defaultContentType": "application/json",
        "servers": {"local": {"host": settings.kafka_bootstrap, "protocol": "kafka"}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": json.loads(text), "messages": messages},
    }


def export_schemas(settings: Settings, out_dir: Path) -> list[Path]:
    """Write `<Event>.schema.json` for each event and `asyncapi.json`; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = out_dir / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    path = out_dir / "asyncapi.json"
    path.write_text(json.dumps(asyncapi_document(settings), indent=2) + "\n")
    written.append(path)
    return written
