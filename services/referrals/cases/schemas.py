"""Case requests and answers. Personal data travels in its own categories, never in the attributes."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.referrals.vocabulary import AgeBand, Gender, ReturnType, Vulnerability

# Governorates only: ISO 3166-2 also lists the Kurdistan Region (IQ-KR), which is not one.
_IQ_CODES = {s.code for s in pycountry.subdivisions.get(country_code="IQ") if s.type == "Governorate"}


class IdentityContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(min_length=1, max_length=200)
    family_name: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = None
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)


class Documents(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_type: str | None = Field(default=None, max_length=50)
    document_number: str | None = Field(default=None, max_length=100)


class Vulnerabilities(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flags: list[Vulnerability] = []
    details: str | None = Field(default=None, max_length=2000)


class PersonalData(BaseModel):
    """Everything personal about the returnee; stored encrypted with the case's key."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "identity_contact": {
                        "given_name": "Testa",
                        "family_name": "Exampleson",
                        "date_of_birth": "1990-01-01",
                        "phone": "+964 750 000 0000",
                    },
                    "documents": {"document_type": "national_id", "document_number": "X0000000"},
                }
            ]
        },
    )

    identity_contact: IdentityContact
    documents: Documents | None = None
    vulnerabilities: Vulnerabilities | None = None
    notes: str | None = Field(default=None, max_length=10000, description="Internal; never shared.")


class CaseAttributes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gender: Gender | None = None
    age_band: AgeBand | None = None
    governorate_code: str | None = Field(default=None, examples=["IQ-AR"])
    district_code: str | None = Field(default=None, max_length=50)
    country_returned_from: str | None = Field(default=None, min_length=2, max_length=2, examples=["SE"])
    return_type: ReturnType
    arrival_date: date | None = None
    household_size: int | None = Field(default=None, ge=1, le=50)

    @field_validator("governorate_code")
    @classmethod
    def _governorate(cls, value: str | None) -> str | None:
        if value is not None and value not in _IQ_CODES:
            raise ValueError("is not an ISO 3166-2:IQ governorate code")
        return value

    @field_validator("country_returned_from")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and pycountry.countries.get(alpha_2=value.upper()) is None:
            raise ValueError("is not an ISO 3166-1 alpha-2 country code")
        return value.upper() if value else value


class CaseCreate(CaseAttributes):
    personal: PersonalData


class CaseUpdate(BaseModel):
    """A partial update of the non-personal attributes (send If-Match)."""

    model_config = ConfigDict(extra="forbid")

    gender: Gender | None = None
    age_band: AgeBand | None = None
    governorate_code: str | None = None
    district_code: str | None = None
    household_size: int | None = Field(default=None, ge=1, le=50)

    @field_validator("governorate_code")
    @classmethod
    def _governorate(cls, value: str | None) -> str | None:
        if value is not None and value not in _IQ_CODES:
            raise ValueError("is not an ISO 3166-2:IQ governorate code")
        return value


class CaseOut(BaseModel):
    id: uuid.UUID
    reference: str
    owner_org_id: uuid.UUID
    counsellor_username: str
    status: str
    gender: str | None
    age_band: str | None
    governorate_code: str | None
    district_code: str | None
    country_returned_from: str | None
    return_type: str
    arrival_date: date | None
    household_size: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    erased_at: datetime | None
    duplicate_flags: list[uuid.UUID] = []
