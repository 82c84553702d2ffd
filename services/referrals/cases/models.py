"""Cases: the non-personal attributes in clear (statistics), everything personal elsewhere, encrypted."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.db import Base


class Case(Base):
    __tablename__ = "case"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # A short reference that reveals nothing: random letters and digits.
    reference: Mapped[str] = mapped_column(sa.Text, unique=True)
    owner_org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    counsellor_subject: Mapped[str] = mapped_column(sa.Text)
    counsellor_username: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, default="open")  # open | closed | erased
    gender: Mapped[str | None] = mapped_column(sa.Text)
    age_band: Mapped[str | None] = mapped_column(sa.Text)
    governorate_code: Mapped[str | None] = mapped_column(sa.Text)
    district_code: Mapped[str | None] = mapped_column(sa.Text)
    country_returned_from: Mapped[str | None] = mapped_column(sa.Text)
    return_type: Mapped[str] = mapped_column(sa.Text)
    arrival_date: Mapped[date | None]
    household_size: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)
    # Bumped by every consent record (not part of the case's ETag): a referral is written only if
    # it is still the revision its consent check read.
    consent_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    erased_by: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def is_minor(self) -> bool:
        return self.age_band == "0-17"
