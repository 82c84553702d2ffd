"""Change history as the API shows it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ChangeOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "entity_type": "service",
                    "entity_id": "3f0c7e0e-8a57-5d0a-9f3c-2b1b7c1f0a11",
                    "organization_id": "c361540c-466a-5bcb-bcf7-c8d67406e3fe",
                    "version": 3,
                    "action": "capacity",
                    "field": "open_places",
                    "old_value": 4,
                    "new_value": 2,
                    "changed_by": "admin.rwanga",
                    "changed_at": "2025-03-01T09:30:00Z",
                }
            ]
        },
    )

    id: int
    entity_type: str
    entity_id: str
    organization_id: uuid.UUID | None
    version: int
    action: str
    field: str
    old_value: Any
    new_value: Any
    changed_by: str
    changed_at: datetime
