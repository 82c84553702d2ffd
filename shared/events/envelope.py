"""The CloudEvents 1.0 structured JSON envelope, as it sits in the outbox and on NATS."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events.contracts import EventContract, contract_for

SPEC_VERSION = "1.0"


class CloudEvent(BaseModel):
    """A CloudEvent in structured mode. ``id`` is also the ``Nats-Msg-Id`` (JetStream dedup key)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: str = SPEC_VERSION
    id: str
    source: str
    type: str
    subject: str
    time: str
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(self.model_dump(exclude_none=True), separators=(",", ":"), default=str).encode()

    def payload(self) -> EventContract | None:
        """The typed contract, where this type is known to this process."""
        contract = contract_for(self.type)
        return contract.model_validate(self.data) if contract else None


def make_event(contract: EventContract, *, subject: str, event_id: uuid.UUID | None = None) -> CloudEvent:
    """Wrap a contract in its envelope. ``subject`` is the CloudEvents subject: the entity id."""
    return CloudEvent(
        id=str(event_id or uuid.uuid4()),
        source=f"/hawkari/{contract.service}",
        type=contract.event_type,
        subject=subject,
        time=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        dataschema=f"urn:hawkari:schema:{contract.event_type}",
        data=contract.model_dump(mode="json"),
    )


def parse_event(raw: bytes | str) -> CloudEvent:
    return CloudEvent.model_validate_json(raw)
