"""The service table and its links to taxonomy terms, locations and service areas."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.common.model import Tracked
from services.registry.db import Base

DEFAULT_REFERRAL_RESPONSE_HOURS = 168  # one week, as RIAT auto-rejects after seven days


class ServiceStatus(StrEnum):
    """HSDS 3.0's service statuses, spelt as HSDS spells them."""

    active = "active"
    inactive = "inactive"
    defunct = "defunct"
    temporarily_closed = "temporarily closed"


class Service(Tracked, Base):
    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s.value) for s in ServiceStatus)})", name="status"),
        CheckConstraint("open_places IS NULL OR open_places >= 0", name="open_places"),
        CheckConstraint("waitlist_length IS NULL OR waitlist_length >= 0", name="waitlist_length"),
        CheckConstraint("referral_response_hours > 0", name="referral_response_hours"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id"), index=True)
    status: Mapped[str] = mapped_column(Text, default=ServiceStatus.active.value)
    name: Mapped[dict[str, str]] = mapped_column(JSONB)
    description: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    application_process: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    fees_description: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    # ISO 639 codes of the languages staff speak with clients (ar, ckb, kmr, en...).
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    required_documents: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    accepts_referrals: Mapped[bool] = mapped_column(Boolean, default=True)
    referral_response_hours: Mapped[int] = mapped_column(Integer, default=DEFAULT_REFERRAL_RESPONSE_HOURS)
    # Capacity: open places now, or how many wait; either may be unknown. Updated on its own.
    open_places: Mapped[int | None] = mapped_column(Integer, default=None)
    waitlist_length: Mapped[int | None] = mapped_column(Integer, default=None)
    capacity_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # Verification: when a provider admin last confirmed the entry is right, and who.
    assured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    assured_by: Mapped[str | None] = mapped_column(Text, default=None)
    email: Mapped[str | None] = mapped_column(Text, default=None)
    url: Mapped[str | None] = mapped_column(Text, default=None)

    def snapshot(self) -> dict[str, object]:
        return {
            "organization_id": self.organization_id,
            "status": self.status,
            "name": self.name,
            "description": self.description,
            "application_process": self.application_process,
            "fees_description": self.fees_description,
            "languages": list(self.languages),
            "required_documents": list(self.required_documents),
            "accepts_referrals": self.accepts_referrals,
            "referral_response_hours": self.referral_response_hours,
            "open_places": self.open_places,
            "waitlist_length": self.waitlist_length,
            "capacity_updated_at": self.capacity_updated_at,
            "assured_at": self.assured_at,
            "email": self.email,
            "url": self.url,
            "deactivated_at": self.deactivated_at,
        }


service_taxonomy_term = Table(
    "service_taxonomy_term",
    Base.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("taxonomy_term_id", ForeignKey("taxonomy_term.id"), primary_key=True, index=True),
)

# HSDS's service_at_location. Its id is derived from the pair (see repository.link_id), so
# replacing a service's locations keeps the ids of the pairs that stay.
service_location = Table(
    "service_location",
    Base.metadata,
    Column("id", Uuid, nullable=False, unique=True),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("location.id"), primary_key=True, index=True),
)

service_area = Table(
    "service_area",
    Base.metadata,
    Column("id", Uuid, primary_key=True),
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("governorate_code", Text, nullable=False),
    # Null: the whole governorate.
    Column("district_code", Text, nullable=True),
    UniqueConstraint("service_id", "governorate_code", "district_code", postgresql_nulls_not_distinct=True),
)
