"""Referral requests and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.referrals.vocabulary import DataCategory


class DeclineReason(StrEnum):
    no_capacity = "no_capacity"
    not_eligible = "not_eligible"
    out_of_area = "out_of_area"
    duplicate = "duplicate"
    could_not_contact = "could_not_contact"
    other = "other"


class Outcome(StrEnum):
    delivered = "delivered"
    partially_delivered = "partially_delivered"
    not_delivered = "not_delivered"


class CloseReason(StrEnum):
    no_show = "no_show"
    client_withdrew = "client_withdrew"
    unreachable = "unreachable"


class RevokeReason(StrEnum):
    sender_revoked = "sender_revoked"
    sent_in_error = "sent_in_error"
    client_request = "client_request"


class Override(BaseModel):
    """Sharing without consent, only in the person's vital interest. Audited."""

    model_config = ConfigDict(extra="forbid")

    legal_basis: str = Field(pattern="^vital_interest$")
    reason: str = Field(min_length=10, max_length=2000)


class ReferralCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "service_id": "3f2b8c1e-0000-4000-8000-000000000001",
                    "programme_id": "3f2b8c1e-0000-4000-8000-000000000002",
                    "data_categories": ["identity_contact", "needs"],
                }
            ]
        },
    )

    service_id: uuid.UUID
    programme_id: uuid.UUID | None = None
    data_categories: list[DataCategory] = []
    send: bool = Field(default=True, description="false keeps it as a draft")
    override: Override | None = None


class TransitionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DeclineReason | CloseReason | RevokeReason | None = None
    reason_text: str | None = Field(default=None, max_length=2000)
    outcome: Outcome | None = None


class DeclineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DeclineReason
    reason_text: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _text_for_other(self) -> DeclineBody:
        if self.reason == DeclineReason.other and not (self.reason_text and self.reason_text.strip()):
            raise ValueError("reason 'other' needs reason_text")
        return self


class CompleteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: CloseReason


class RevokeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: RevokeReason = RevokeReason.sender_revoked


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivered: bool
    quality: int | None = Field(default=None, ge=1, le=5)
    wait_days: int | None = Field(default=None, ge=0, le=3650)


class Suggestion(BaseModel):
    service_id: uuid.UUID
    organization_id: uuid.UUID
    name: str | None
    programme_id: uuid.UUID | None
    open_places: int | None


class ReferralOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    service_id: uuid.UUID
    provider_org_id: uuid.UUID
    sender_org_id: uuid.UUID
    programme_id: uuid.UUID | None
    taxonomy_term_code: str | None
    funder_countries: list[str]
    status: str
    data_categories: list[str]
    legal_basis: str
    capacity_warning: bool
    sent_at: datetime | None
    deadline_at: datetime | None
    decline_reason: str | None
    outcome: str | None
    close_reason: str | None
    revoke_reason: str | None
    feedback: dict[str, Any] | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    warnings: list[str] = []
    allowed_next: list[dict[str, Any]] = []
    suggestions: list[Suggestion] = []
    # For the provider: only the categories shared and still consented; absent ones are simply absent.
    case: dict[str, Any] | None = None
