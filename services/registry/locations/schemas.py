"""Locations as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.registry.common.codes import DistrictCode, GovernorateCode
from services.registry.common.contacts import Url
from services.registry.common.localized import LocalizedName, LocalizedText
from services.registry.locations.models import Location, LocationType
from services.registry.places import catalogue

_EXAMPLE = {
    "organization_id": "c361540c-466a-5bcb-bcf7-c8d67406e3fe",
    "location_type": "physical",
    "name": {"en": "Rwanga Foundation, Erbil office", "ckb": "نووسینگەی دەزگای ڕوانگە لە هەولێر"},
    "address": "Gulan Street, Erbil",
    "governorate_code": "IQ-AR",
    "district_code": "IQ-AR-ERB",
    "latitude": 36.19,
    "longitude": 44.01,
}


def district_in_governorate(district: str | None, info: ValidationInfo) -> str | None:
    governorate = info.data.get("governorate_code")
    if (
        district is not None
        and governorate is not None
        and catalogue.district_governorate(district) != governorate
    ):
        raise ValueError(f"district {district} is not in governorate {governorate}")
    return district


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    organization_id: uuid.UUID
    location_type: LocationType = LocationType.physical
    name: LocalizedName
    description: LocalizedText = LocalizedText()
    address: str | None = Field(default=None, max_length=500)
    governorate_code: GovernorateCode | None = None
    district_code: DistrictCode | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    url: Url | None = None

    _district = field_validator("district_code")(district_in_governorate)


class LocationUpdate(BaseModel):
    """Only the fields sent change; ``null`` clears an optional field."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"address": "100m Street, Erbil"}]}
    )

    location_type: LocationType | None = None
    name: LocalizedName | None = None
    description: LocalizedText | None = None
    address: str | None = Field(default=None, max_length=500)
    governorate_code: GovernorateCode | None = None
    district_code: DistrictCode | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    url: Url | None = None


class LocationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "0b6d3f3e-5d1b-4a41-9d0e-3c7e2b8f9a10", **_EXAMPLE}]}
    )

    id: uuid.UUID
    organization_id: uuid.UUID
    location_type: LocationType
    name: dict[str, str]
    description: dict[str, str]
    address: str | None
    governorate_code: str | None
    district_code: str | None
    latitude: float | None
    longitude: float | None
    url: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None

    @classmethod
    def of(cls, loc: Location) -> LocationOut:
        return cls(
            id=loc.id,
            organization_id=loc.organization_id,
            location_type=LocationType(loc.location_type),
            name=loc.name,
            description=loc.description,
            address=loc.address,
            governorate_code=loc.governorate_code,
            district_code=loc.district_code,
            latitude=loc.latitude,
            longitude=loc.longitude,
            url=loc.url,
            active=loc.active,
            version=loc.version,
            created_at=loc.created_at,
            updated_at=loc.updated_at,
            deactivated_at=loc.deactivated_at,
        )
