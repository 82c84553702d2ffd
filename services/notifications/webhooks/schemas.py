"""Webhook endpoint, delivery and attempt shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class EndpointIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://partner.example.org/hawkari/events",
                    "event_types": ["org.hawkari.referral.sent.v1", "org.hawkari.referral.revoked.v1"],
                    "description": "Case management system",
                }
            ]
        },
    )

    url: str = Field(max_length=2048)
    event_types: list[str] = Field(min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=200)


class EndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2048)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=200)
    # Re-enabling resets the failure count; pending deliveries then go out.
    enabled: bool | None = None


class EndpointOut(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    consecutive_failures: int
    disabled_at: datetime | None
    created_at: datetime
    secret_rotated_at: datetime | None = None
    # Until then deliveries carry two signatures: by the current secret and by the previous one.
    previous_secret_expires_at: datetime | None = None


class EndpointCreated(EndpointOut):
    # Shown once: the receiver verifies signatures with it (standardwebhooks.Webhook(secret).verify).
    secret: str


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"grace_hours": 24}]})

    # How long the previous secret keeps signing too; the service's setting when absent.
    grace_hours: float | None = Field(default=None, ge=0, le=720)


class SecretRotated(EndpointOut):
    # The new secret, shown once. Receivers verify with either secret until the grace period ends.
    secret: str


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    # The address connected to (checked against the private-address rule just before).
    address: str | None = None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    give_up_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptOut] = []
