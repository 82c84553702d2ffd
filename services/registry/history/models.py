"""One row per changed field: the shape HSDS's metadata table uses, too."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registry.db import Base
from shared.db import utcnow


class ChangeRecord(Base):
    __tablename__ = "change_record"
    __table_args__ = (
        Index("ix_change_record_entity", "entity_type", "entity_id", "id"),
        Index("ix_change_record_organization", "organization_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entity_type: Mapped[str] = mapped_column(Text)
    # Text, not UUID: cost-of-living factors and exchange rates are keyed by a code.
    entity_id: Mapped[str] = mapped_column(Text)
    # The organization that owns the entry, so a provider admin can be shown their own history.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(Text)
    old_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_by_organization_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
