"""Inbox request and response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class InboxItemOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b6f3c1e-3a55-4b0e-9a55-0d3f5c7f0c11",
                    "kind": "referral.sent",
                    "org_id": "8c1e4a0e-5b39-5b7c-9a53-1f4f3d2c1b0a",
                    "audience": "provider",
                    "referral_id": "5b0b7f0e-2a8e-4f8c-8e7e-3c7b1c2d9f10",
                    "case_reference": "C-1A2B3C4D",
                    "service_name": "Job counselling",
                    "organization_name": "MRC Erbil",
                    "status": "sent",
                    "referral_status": "accepted",
                    "code": None,
                    "link": "http://127.0.0.1:8000/referrals/5b0b7f0e-2a8e-4f8c-8e7e-3c7b1c2d9f10",
                    "created_at": "2025-01-01T10:00:00Z",
                    "read": False,
                }
            ]
        }
    )

    id: uuid.UUID
    kind: str
    org_id: uuid.UUID
    audience: str
    referral_id: uuid.UUID | None
    case_reference: str | None
    service_name: str | None
    organization_name: str | None
    # The status this step reported, and the referral's furthest known status (never moves back).
    status: str | None
    referral_status: str | None = None
    code: str | None
    link: str
    created_at: datetime
    read: bool


class InboxPage(BaseModel):
    items: list[InboxItemOut]
    unread: int
    # Pass as ``before`` to get the next (older) page; null on the last page.
    next_before: datetime | None = None


class UnreadCount(BaseModel):
    unread: int = Field(examples=[3])


class MarkedRead(BaseModel):
    marked: int = Field(examples=[12])
