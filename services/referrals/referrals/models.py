"""Referrals from a case to a provider's service, under a programme."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.db import Base


class Referral(Base):
    __tablename__ = "referral"
    __table_args__ = (
        sa.Index("ix_referral_open_deadline", "deadline_at", postgresql_where=sa.text("status = 'sent'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), index=True)
    sender_org_id: Mapped[uuid.UUID]
    service_id: Mapped[uuid.UUID]
    provider_org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    programme_id: Mapped[uuid.UUID | None]
    taxonomy_term_code: Mapped[str | None] = mapped_column(sa.Text)
    # The target service's categories when sent: "any provider of X" consents are checked against them.
    service_taxonomy_codes: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    funder_countries: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    status: Mapped[str] = mapped_column(sa.Text)
    data_categories: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    legal_basis: Mapped[str] = mapped_column(sa.Text, default="consent")
    capacity_warning: Mapped[bool] = mapped_column(default=False)
    response_hours: Mapped[int]
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    deadline_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    half_reminder_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_day_reminder_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    close_reason: Mapped[str | None] = mapped_column(sa.Text)
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)
    feedback_delivered: Mapped[bool | None]
    feedback_quality: Mapped[int | None]
    feedback_wait_days: Mapped[int | None]
    # Free text (override reason, decline text) may name the person: sealed with the case key.
    sealed_notes: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_by: Mapped[str] = mapped_column(sa.Text)
    # The IdP subject of the staff member who sent it (events carry it; never the returnee).
    sent_by_subject: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
