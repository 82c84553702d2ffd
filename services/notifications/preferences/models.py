"""A user's notification preferences, keyed by the token's ``sub``."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.db import Base


class Preference(Base):
    __tablename__ = "preference"
    __table_args__ = (sa.Index("ix_preference_org_id", "org_id"),)

    subject: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    org_id: Mapped[uuid.UUID | None]
    # The roles the user held when saving, so email can find the members of an audience.
    roles: Mapped[list[str]] = mapped_column(ARRAY(sa.Text))
    # Taken from the token's email claim when preferences are saved; the user's work address.
    email: Mapped[str | None] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.Text)
    daily_digest: Mapped[bool]
    # {kind: {"inbox": bool, "email": bool}}; a kind not listed uses the defaults (both on).
    channels: Mapped[dict[str, dict[str, bool]]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
