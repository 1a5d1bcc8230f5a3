"""Export the contracts: one JSON Schema per event and an AsyncAPI 3.0 document of every topic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from config.settings import Settings
from config.topics import all_topics
from schemas import EVENT_TYPES
from streams.topics import topic_name


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema (draft 2020-12, as pydantic emits it) of each event, by model name."""
    return {model.__name__: model.model_json_schema(mode="serialization") for model in EVENT_TYPES}


def asyncapi_document(settings: Settings) -> dict[str, Any]:
    """An AsyncAPI 3.0 document: a channel per topic, a message per payload, receive/send operations."""
    schemas = json_schemas()
    messages = {
        name: {"name": name, "contentType": "application/json", "payload": {"$ref": f"#/components/schemas/{name}"},
               "headers": {"type": "object", "properties": {"traceparent": {"type": "string"},
                                                              "tracestate": {"type": "string"}}}}
        for name in schemas
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for spec in all_topics():
        cid = spec.name.replace(".", "_")
        channels[cid] = {
            "address": topic_name(settings, spec.name),
            "description": f"{spec.role} topic of the {spec.stage} stage",
            "messages": {spec.payload: {"$ref": f"#/components/messages/{spec.payload}"}},
            "bindings": {"kafka": {"partitions": settings.topic_partitions,
                                   "replicas": settings.topic_replication}},
        }
        operations[f"{spec.stage}_receives_{cid}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{spec.payload}"}],
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
                 "description": "Invoice events: received -> detected -> extracted -> scored, keyed by invoice id."},
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
