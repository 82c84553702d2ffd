"""Consent requests and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.referrals.vocabulary import ChildView, DataCategory, LegalBasis, ObtainedHow, Purpose


class ConsentGrant(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "purposes": ["referral"],
                    "data_categories": ["identity_contact", "needs"],
                    "recipient_categories": ["psychosocial"],
                    "legal_basis": "consent",
                    "obtained_how": "verbal",
                    "information_language": "ckb",
                    "information_version": "2025-01",
                }
            ]
        },
    )

    purposes: list[Purpose] = Field(min_length=1)
    data_categories: list[DataCategory] = []
    recipient_org_ids: list[uuid.UUID] = []
    recipient_categories: list[str] = Field(default=[], description="Taxonomy term codes: any provider of X.")
    legal_basis: LegalBasis = LegalBasis.consent
    obtained_how: ObtainedHow
    information_language: str = Field(min_length=2, max_length=10)
    information_version: str = Field(min_length=1, max_length=50)
    expires_at: datetime | None = None
    guardian_consent: bool | None = None
    child_view: ChildView | None = None

    @model_validator(mode="after")
    def _recipients(self) -> ConsentGrant:
        if Purpose.referral in self.purposes and not (self.recipient_org_ids or self.recipient_categories):
            raise ValueError("a referral consent names recipients: organizations or service categories")
        if self.data_categories == [] and Purpose.referral in self.purposes:
            raise ValueError("a referral consent names the data categories it covers")
        return self


class ConsentWithdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consent_id: uuid.UUID
    obtained_how: ObtainedHow = ObtainedHow.verbal


class ConsentRecordOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    action: str
    withdraws_id: uuid.UUID | None
    purposes: list[str]
    data_categories: list[str]
    recipient_org_ids: list[uuid.UUID]
    recipient_categories: list[str]
    legal_basis: str
    obtained_how: str | None
    information_language: str | None
    information_version: str | None
    guardian_consent: bool | None
    child_view: str | None
    recorded_by: str
    recorded_at: datetime
    expires_at: datetime | None


class ConsentState(BaseModel):
    """The grants in force at ``at``: granted, not withdrawn by then, not expired."""

    case_id: uuid.UUID
    at: datetime
    active: list[ConsentRecordOut]


class WithdrawalOut(BaseModel):
    record: ConsentRecordOut
    revoked_referral_ids: list[uuid.UUID]
