"""Services as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.registry.common.codes import DistrictCode, GovernorateCode, LanguageCode
from services.registry.common.contacts import Email, Url
from services.registry.common.localized import LocalizedName, LocalizedText
from services.registry.directory.models import DEFAULT_REFERRAL_RESPONSE_HOURS, ServiceStatus
from services.registry.locations.schemas import district_in_governorate
from services.registry.taxonomy.models import CODE_PATTERN

TermCode = Annotated[str, Field(max_length=64, pattern=CODE_PATTERN)]
Document = Annotated[str, Field(min_length=1, max_length=200)]

_EXAMPLE = {
    "organization_id": "c361540c-466a-5bcb-bcf7-c8d67406e3fe",
    "name": {"en": "Psychosocial counselling for returnees", "ckb": "ڕاوێژکاریی دەروونی بۆ گەڕاوەکان"},
    "description": {"en": "Individual sessions with a psychologist, in Sorani or Arabic."},
    "languages": ["ckb", "ar"],
    "taxonomy_terms": ["psychosocial-counselling"],
    "service_areas": [
        {"governorate_code": "IQ-AR"},
        {"governorate_code": "IQ-DA", "district_code": "IQ-DA-ZAK"},
    ],
    "accepts_referrals": True,
    "referral_response_hours": 72,
    "capacity": {"open_places": 5, "waitlist_length": 0},
}


class ServiceAreaIn(BaseModel):
    """A governorate, or one district of it."""

    model_config = ConfigDict(extra="forbid")

    governorate_code: GovernorateCode
    district_code: DistrictCode | None = None

    _district = field_validator("district_code")(district_in_governorate)


class CapacityIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"open_places": 3, "waitlist_length": 0}]}
    )

    open_places: int | None = Field(default=None, ge=0, le=1_000_000)
    waitlist_length: int | None = Field(default=None, ge=0, le=1_000_000)


class ServiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    organization_id: uuid.UUID
    status: ServiceStatus = ServiceStatus.active
    name: LocalizedName
    description: LocalizedText = LocalizedText()
    application_process: LocalizedText = LocalizedText()
    fees_description: LocalizedText = LocalizedText()
    languages: list[LanguageCode] = Field(default_factory=list, max_length=20)
    required_documents: list[Document] = Field(default_factory=list, max_length=30)
    accepts_referrals: bool = True
    referral_response_hours: int = Field(default=DEFAULT_REFERRAL_RESPONSE_HOURS, ge=1, le=24 * 90)
    capacity: CapacityIn | None = None
    taxonomy_terms: list[TermCode] = Field(default_factory=list, max_length=20)
    location_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    service_areas: list[ServiceAreaIn] = Field(default_factory=list, max_length=200)
    email: Email | None = None
    url: Url | None = None


class ServiceUpdate(BaseModel):
    """Only the fields sent change; lists sent replace the old ones. Capacity has its own endpoint."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "temporarily closed", "languages": ["ar"]}]},
    )

    status: ServiceStatus | None = None
    name: LocalizedName | None = None
    description: LocalizedText | None = None
    application_process: LocalizedText | None = None
    fees_description: LocalizedText | None = None
    languages: list[LanguageCode] | None = Field(default=None, max_length=20)
    required_documents: list[Document] | None = Field(default=None, max_length=30)
    accepts_referrals: bool | None = None
    referral_response_hours: int | None = Field(default=None, ge=1, le=24 * 90)
    taxonomy_terms: list[TermCode] | None = Field(default=None, max_length=20)
    location_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    service_areas: list[ServiceAreaIn] | None = Field(default=None, max_length=200)
    email: Email | None = None
    url: Url | None = None


class CapacityOut(BaseModel):
    open_places: int | None
    waitlist_length: int | None
    updated_at: datetime | None


class ServiceAreaOut(BaseModel):
    governorate_code: str
    district_code: str | None


class ServiceOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "9a3c0c55-4a57-5a41-9f5c-0e2b1f3d4c5a",
                    **_EXAMPLE,
                    "capacity": {
                        "open_places": 5,
                        "waitlist_length": 0,
                        "updated_at": "2025-03-01T09:30:00Z",
                    },
                    "assured_at": "2025-02-20T10:00:00Z",
                    "stale": False,
                    "active": True,
                    "version": 4,
                }
            ]
        }
    )

    id: uuid.UUID
    organization_id: uuid.UUID
    status: ServiceStatus
    name: dict[str, str]
    description: dict[str, str]
    application_process: dict[str, str]
    fees_description: dict[str, str]
    languages: list[str]
    required_documents: list[str]
    accepts_referrals: bool
    referral_response_hours: int
    capacity: CapacityOut
    taxonomy_terms: list[str]
    location_ids: list[uuid.UUID]
    service_areas: list[ServiceAreaOut]
    email: str | None
    url: str | None
    assured_at: datetime | None
    assured_by: str | None
    # Not verified for longer than the configured number of days (180 by default).
    stale: bool
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None
