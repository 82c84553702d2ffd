"""Organizations as the API reads and writes them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.registry.common.codes import CountryCode
from services.registry.common.contacts import Email, Phone, Url
from services.registry.common.localized import LocalizedName, LocalizedText
from services.registry.organizations.models import Organization, OrganizationKind

_EXAMPLE = {
    "kind": "ngo",
    "name": {"en": "Rwanga Foundation", "ar": "مؤسسة روانكه", "ckb": "دەزگای ڕوانگە"},
    "description": {"en": "Local NGO in the Kurdistan Region supporting returnees."},
    "email": "info@rwanga.org",
    "website": "https://rwanga.org",
}


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    kind: OrganizationKind
    name: LocalizedName
    description: LocalizedText = LocalizedText()
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    country_code: CountryCode | None = None
    parent_organization_id: uuid.UUID | None = None


class OrganizationUpdate(BaseModel):
    """Only the fields sent change; ``null`` clears an optional field."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "referrals@rwanga.org"}]}
    )

    kind: OrganizationKind | None = None
    name: LocalizedName | None = None
    description: LocalizedText | None = None
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    country_code: CountryCode | None = None
    parent_organization_id: uuid.UUID | None = None


class OrganizationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "c361540c-466a-5bcb-bcf7-c8d67406e3fe", **_EXAMPLE}]}
    )

    id: uuid.UUID
    kind: OrganizationKind
    name: dict[str, str]
    description: dict[str, str]
    email: str | None
    phone: str | None
    website: str | None
    country_code: str | None
    parent_organization_id: uuid.UUID | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None

    @classmethod
    def of(cls, org: Organization) -> OrganizationOut:
        return cls(
            id=org.id,
            kind=OrganizationKind(org.kind),
            name=org.name,
            description=org.description,
            email=org.email,
            phone=org.phone,
            website=org.website,
            country_code=org.country_code,
            parent_organization_id=org.parent_id,
            active=org.active,
            version=org.version,
            created_at=org.created_at,
            updated_at=org.updated_at,
            deactivated_at=org.deactivated_at,
        )
