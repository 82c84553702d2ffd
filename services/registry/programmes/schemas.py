"""Programmes as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.registry.common.codes import CountryCode
from services.registry.common.localized import LocalizedName, LocalizedText
from services.registry.common.vocabulary import ReturnType
from services.registry.programmes.models import FundingInstrument, TargetGroup, ThematicArea

_EXAMPLE = {
    "name": {"en": "SI-COM: Sweden–Iraq Cooperation on Migration Governance"},
    "description": {"en": "Implemented by ICMPD with the Swedish Migration Agency; runs MRC Sulaymaniyah."},
    "funder_countries": ["SE"],
    "funding_instruments": ["national_budget"],
    "thematic_areas": ["migration_management", "information_campaigns", "return_reintegration"],
    "target_group": "all_eu_returnees",
    "eligible_return_types": ["voluntary_assisted", "self_initiated", "return_migration_with_permit"],
    "starts_on": "2024-06-01",
    "ends_on": "2026-05-31",
    "implementing_organization_ids": ["d5b1c5a9-7f0e-5c7c-8a61-0a0d1f8b2e33"],
    "service_ids": [],
}


def _not_before_start(ends_on: date | None, info: ValidationInfo) -> date | None:
    starts_on = info.data.get("starts_on")
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        raise ValueError(f"ends before it starts ({starts_on})")
    return ends_on


class ProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: LocalizedName
    description: LocalizedText = LocalizedText()
    funder_countries: list[CountryCode] = Field(min_length=1, max_length=40)
    funding_instruments: list[FundingInstrument] = Field(min_length=1)
    thematic_areas: list[ThematicArea] = Field(min_length=1)
    target_group: TargetGroup
    eligible_return_types: list[ReturnType] = Field(min_length=1)
    starts_on: date
    ends_on: date | None = None
    implementing_organization_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    service_ids: list[uuid.UUID] = Field(default_factory=list, max_length=2000)

    _ends = field_validator("ends_on")(_not_before_start)


class ProgrammeUpdate(BaseModel):
    """Only the fields sent change; lists sent replace the old ones."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"ends_on": "2026-12-31"}]})

    name: LocalizedName | None = None
    description: LocalizedText | None = None
    funder_countries: list[CountryCode] | None = Field(default=None, min_length=1, max_length=40)
    funding_instruments: list[FundingInstrument] | None = Field(default=None, min_length=1)
    thematic_areas: list[ThematicArea] | None = Field(default=None, min_length=1)
    target_group: TargetGroup | None = None
    eligible_return_types: list[ReturnType] | None = Field(default=None, min_length=1)
    starts_on: date | None = None
    ends_on: date | None = None
    implementing_organization_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    service_ids: list[uuid.UUID] | None = Field(default=None, max_length=2000)

    _ends = field_validator("ends_on")(_not_before_start)


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "8b0d7c3e-1f2a-5b3c-9d4e-5f6a7b8c9d0e", **_EXAMPLE}]}
    )

    id: uuid.UUID
    name: dict[str, str]
    description: dict[str, str]
    funder_countries: list[str]
    funding_instruments: list[FundingInstrument]
    thematic_areas: list[ThematicArea]
    target_group: TargetGroup
    eligible_return_types: list[ReturnType]
    starts_on: date
    ends_on: date | None
    implementing_organization_ids: list[uuid.UUID]
    service_ids: list[uuid.UUID]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None
