"""The programme table and its links to implementing organizations and funded services."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.common.model import Tracked
from services.registry.db import Base


class FundingInstrument(StrEnum):
    oda = "oda"  # development aid
    amif = "amif"  # the EU's Asylum, Migration and Integration Fund
    national_budget = "national_budget"
    eu_frontex = "eu_frontex"


class ThematicArea(StrEnum):
    """The NORAQ platform's thematic areas."""

    return_reintegration = "return_reintegration"
    irregular_migration = "irregular_migration"
    information_campaigns = "information_campaigns"
    migration_development = "migration_development"
    migration_management = "migration_management"
    capacity_support = "capacity_support"


class TargetGroup(StrEnum):
    all_eu_returnees = "all_eu_returnees"  # returnees from any EU or Schengen associated state
    funder_country_returnees = "funder_country_returnees"  # only those returning from a funder country


class Programme(Tracked, Base):
    __tablename__ = "programme"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        CheckConstraint(
            f"target_group IN ({', '.join(repr(t.value) for t in TargetGroup)})", name="target_group"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[dict[str, str]] = mapped_column(JSONB)
    description: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    funder_countries: Mapped[list[str]] = mapped_column(ARRAY(Text))
    funding_instruments: Mapped[list[str]] = mapped_column(ARRAY(Text))
    thematic_areas: Mapped[list[str]] = mapped_column(ARRAY(Text))
    target_group: Mapped[str] = mapped_column(Text)
    eligible_return_types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None)

    def snapshot(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "funder_countries": list(self.funder_countries),
            "funding_instruments": list(self.funding_instruments),
            "thematic_areas": list(self.thematic_areas),
            "target_group": self.target_group,
            "eligible_return_types": list(self.eligible_return_types),
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "deactivated_at": self.deactivated_at,
        }


programme_implementer = Table(
    "programme_implementer",
    Base.metadata,
    Column("programme_id", ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id"), primary_key=True, index=True),
)

programme_service = Table(
    "programme_service",
    Base.metadata,
    Column("programme_id", ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("service.id"), primary_key=True, index=True),
)
