"""The location table."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, Double, ForeignKey, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.common.model import Tracked
from services.registry.db import Base


class LocationType(StrEnum):
    physical = "physical"
    virtual = "virtual"


class Location(Tracked, Base):
    __tablename__ = "location"
    __table_args__ = (
        CheckConstraint("location_type IN ('physical', 'virtual')", name="location_type"),
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), index=True)
    location_type: Mapped[str] = mapped_column(Text)
    name: Mapped[dict[str, str]] = mapped_column(JSONB)
    description: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    # An institution's street address, free text: Iraqi addresses rarely follow a postal scheme.
    address: Mapped[str | None] = mapped_column(Text, default=None)
    governorate_code: Mapped[str | None] = mapped_column(Text, default=None, index=True)
    district_code: Mapped[str | None] = mapped_column(Text, default=None)
    latitude: Mapped[float | None] = mapped_column(Double, default=None)
    longitude: Mapped[float | None] = mapped_column(Double, default=None)
    url: Mapped[str | None] = mapped_column(Text, default=None)

    def snapshot(self) -> dict[str, object]:
        return {
            "organization_id": self.organization_id,
            "location_type": self.location_type,
            "name": self.name,
            "description": self.description,
            "address": self.address,
            "governorate_code": self.governorate_code,
            "district_code": self.district_code,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "url": self.url,
            "deactivated_at": self.deactivated_at,
        }
