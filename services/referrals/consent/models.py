"""The consent ledger: append-only; a withdrawal is a new record naming the grant it ends."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.db import Base


class ConsentRecord(Base):
    __tablename__ = "consent_record"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), index=True)
    action: Mapped[str] = mapped_column(sa.Text)  # granted | withdrawn
    # For a withdrawal: the grant it ends.
    withdraws_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("consent_record.id"))
    purposes: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    data_categories: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    recipient_org_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(sa.Uuid), default=list)
    # "Any provider of category X": taxonomy term codes.
    recipient_categories: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    legal_basis: Mapped[str] = mapped_column(sa.Text)
    obtained_how: Mapped[str | None] = mapped_column(sa.Text)
    information_language: Mapped[str | None] = mapped_column(sa.Text)
    information_version: Mapped[str | None] = mapped_column(sa.Text)
    guardian_consent: Mapped[bool | None]
    child_view: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
