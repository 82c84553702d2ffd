"""The event contracts, published for partners as JSON Schema and one AsyncAPI 3.0 document.

Generated from the code (``hawkari events export``); a test regenerates them and fails when the
committed copies in ``docs/events/`` have drifted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.events.contracts import EventContract, published_contracts

ASYNCAPI_VERSION = "3.0.0"


def _envelope_schema(contract: type[EventContract]) -> dict[str, Any]:
    """The CloudEvents structured-mode message, with ``data`` pinned to the contract."""
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "subject", "time", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "format": "uuid", "description": "Also the Nats-Msg-Id header."},
            "source": {"const": f"/hawkari/{contract.service}"},
            "type": {"const": contract.event_type},
            "subject": {"type": "string", "description": "The id of the entity the event is about."},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"type": "string"},
            "data": {"$ref": f"#/components/schemas/{_schema_name(contract)}"},
        },
    }


def _schema_name(contract: type[EventContract]) -> str:
    return contract.event_type.removeprefix("org.hawkari.").replace(".", "_")


def json_schemas() -> dict[str, dict[str, Any]]:
    """One JSON Schema per event type's ``data``, keyed by event type."""
    out = {}
    for event_type, contract in published_contracts().items():
        schema = contract.model_json_schema(ref_template="#/$defs/{model}")
        schema["$id"] = f"urn:hawkari:schema:{event_type}"
        schema["title"] = event_type
        if contract.summary:
            schema["description"] = contract.summary
        out[event_type] = schema
    return out


def asyncapi_document(version: str = "1.0.0") -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for event_type, contract in published_contracts().items():
        name = _schema_name(contract)
        data_schema = contract.model_json_schema(ref_template=f"#/components/schemas/{name}_{{model}}")
        for def_name, definition in data_schema.pop("$defs", {}).items():
            schemas[f"{name}_{def_name}"] = definition
        schemas[name] = data_schema
        messages[name] = {
            "name": event_type,
            "title": event_type,
            "summary": contract.summary or event_type,
            "contentType": "application/cloudevents+json",
            "headers": {
                "type": "object",
                "properties": {
                    "Nats-Msg-Id": {
                        "type": "string",
                        "description": "The CloudEvent id; JetStream deduplicates on it.",
                    },
                    "traceparent": {"type": "string", "description": "W3C trace context of the producer."},
                },
            },
            "payload": _envelope_schema(contract),
        }
        channel_id = name
        channels[channel_id] = {
            "address": contract.subject_pattern().replace(".*", ".{entityId}"),
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            **(
                {"parameters": {"entityId": {"description": "The entity id (last value per entity)."}}}
                if contract.keyed
                else {}
            ),
        }
        operations[f"receive_{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"Hawkari {contract.service} publishes {event_type}.",
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Hawkari events",
            "version": version,
            "description": (
                "Events the Hawkari services publish on NATS JetStream, as CloudEvents 1.0 in "
                "structured JSON mode. Events never carry personal data of returnees."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {"nats": {"host": "127.0.0.1:4222", "protocol": "nats", "description": "JetStream"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export(folder: Path) -> list[Path]:
    """Write ``asyncapi.json`` and ``schemas/<type>.json`` into ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schemas").mkdir(exist_ok=True)
    written = [folder / "asyncapi.json"]
    written[0].write_text(render(asyncapi_document()))
    wanted = set()
    for event_type, schema in json_schemas().items():
        path = folder / "schemas" / f"{event_type}.json"
        path.write_text(render(schema))
        written.append(path)
        wanted.add(path.name)
    for stale in (folder / "schemas").glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    return written
