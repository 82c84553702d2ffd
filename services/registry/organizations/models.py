"""The organization table."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.common.model import Tracked
from services.registry.db import Base


class OrganizationKind(StrEnum):
    migrant_resource_centre = "migrant_resource_centre"
    ngo = "ngo"
    training_centre = "training_centre"
    government_body = "government_body"
    international_organization = "international_organization"
    private_company = "private_company"
    community_initiative = "community_initiative"
    # Not a provider: the NORAQ steering group and the platform operator. They need an
    # organization record because their staff log in with an org_id.
    coordination_body = "coordination_body"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Organization(Tracked, Base):
    __tablename__ = "organization"
    __table_args__ = (CheckConstraint(_in("kind", OrganizationKind), name="kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[dict[str, str]] = mapped_column(JSONB)
    description: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    email: Mapped[str | None] = mapped_column(Text, default=None)
    phone: Mapped[str | None] = mapped_column(Text, default=None)
    website: Mapped[str | None] = mapped_column(Text, default=None)
    # For funders and government bodies: the country they act for (ISO 3166-1 alpha-2, or EU).
    country_code: Mapped[str | None] = mapped_column(Text, default=None)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id"), default=None, index=True
    )
    # The names folded for search (search.normalise), kept in step by the service layer.
    search_text: Mapped[str] = mapped_column(Text, default="")

    def snapshot(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "email": self.email,
            "phone": self.phone,
            "website": self.website,
            "country_code": self.country_code,
            "parent_organization_id": self.parent_id,
            "deactivated_at": self.deactivated_at,
        }
