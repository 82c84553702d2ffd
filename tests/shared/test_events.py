"""The envelope is valid CloudEvents 1.0 (checked with the official SDK); docs match the code."""

from __future__ import annotations

import json
from pathlib import Path

from cloudevents.core.formats.json import JSONFormat

from shared.events.asyncapi import asyncapi_document, json_schemas, render
from shared.events.contracts import published_contracts, registered_contracts
from shared.events.envelope import make_event, parse_event
from tests.shared.eventing import WidgetCreated

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"


def test_our_envelope_parses_as_a_cloudevent_with_the_sdk() -> None:
    event = make_event(WidgetCreated(widget_id="w1", name="Widget"), subject="w1")
    # The SDK's v1.0 event validates every required and optional attribute as it is built.
    parsed = JSONFormat().read(None, event.to_json())
    assert parsed.get_specversion() == "1.0"
    assert parsed.get_id() == event.id
    assert parsed.get_type() == "org.hawkari.widget.created.v1"
    assert parsed.get_source() == "/hawkari/testsvc"
    assert parsed.get_subject() == "w1"
    assert parsed.get_dataschema() == "urn:hawkari:schema:org.hawkari.widget.created.v1"
    assert parsed.get_data() == {"widget_id": "w1", "name": "Widget"}
    assert parse_event(event.to_json()) == event


def test_contract_subjects_follow_service_entity_verb() -> None:
    for event_type, contract in published_contracts().items():
        parts = contract.subject_pattern().split(".")
        assert parts[:3] == [contract.service, contract.entity, contract.verb], event_type
        assert event_type.startswith(f"org.hawkari.{contract.entity}.{contract.verb}.v")


def test_the_asyncapi_document_lists_every_contract() -> None:
    doc = asyncapi_document()
    assert doc["asyncapi"] == "3.0.0"
    titles = {m["name"] for m in doc["components"]["messages"].values()}
    assert titles == set(published_contracts())
    for channel in doc["channels"].values():
        for ref in channel["messages"].values():
            assert ref["$ref"].removeprefix("#/components/messages/") in doc["components"]["messages"]


def test_published_documents_are_in_sync_with_the_code() -> None:
    """`hawkari events export` regenerates docs/events; a stale copy fails here."""
    committed = json.loads((DOCS / "asyncapi.json").read_text())
    assert committed == json.loads(render(asyncapi_document())), "run `hawkari events export` and commit"
    on_disk = {
        p.name.removesuffix(".json"): json.loads(p.read_text()) for p in (DOCS / "schemas").glob("*.json")
    }
    assert on_disk == json_schemas()


def test_test_contracts_are_not_published() -> None:
    assert "org.hawkari.widget.created.v1" in registered_contracts()
    assert "org.hawkari.widget.created.v1" not in published_contracts()
    assert "org.hawkari.widget.created.v1" not in json_schemas()
