"""Columns every versioned registry entity has, and the session dependency routes use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import SessionDep, utcnow

# The request's unit of work: it commits when the handler returns, before the response is sent.
Session = SessionDep


class Tracked:
    """Version (the ETag), timestamps in UTC, and soft deactivation."""

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    @property
    def active(self) -> bool:
        return self.deactivated_at is None

    def touch(self) -> None:
        """Mark one more change: the next version, a new ETag."""
        self.version += 1
        self.updated_at = utcnow()
