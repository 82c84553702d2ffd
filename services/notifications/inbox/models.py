"""Inbox items (one per event × audience), per-user read marks, and each referral's last status."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.db import Base


class InboxItem(Base):
    __tablename__ = "inbox_item"
    __table_args__ = (
        # Exactly once per event and recipient, whatever the consumer sees twice.
        sa.UniqueConstraint("event_id", "org_id", "audience", "recipient_subject"),
        sa.Index("ix_inbox_item_org_audience_created", "org_id", "audience", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    org_id: Mapped[uuid.UUID]
    audience: Mapped[str] = mapped_column(sa.Text)
    # Empty for an organization queue; a user's ``sub`` when addressed to one person.
    recipient_subject: Mapped[str] = mapped_column(sa.Text, server_default="")
    referral_id: Mapped[uuid.UUID | None]
    case_reference: Mapped[str | None] = mapped_column(sa.Text)
    service_name: Mapped[str | None] = mapped_column(sa.Text)
    organization_name: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str | None] = mapped_column(sa.Text)
    # A reason or outcome code from a closed vocabulary (never free text).
    code: Mapped[str | None] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class InboxRead(Base):
    __tablename__ = "inbox_read"

    item_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("inbox_item.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    read_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class ReferralState(Base):
    """What this service knows of a referral: its parties and its furthest status."""

    __tablename__ = "referral_state"

    referral_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    owner_org_id: Mapped[uuid.UUID | None]
    provider_org_id: Mapped[uuid.UUID | None]
    service_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(sa.Text)
    rank: Mapped[int]
    event_time: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
