"""Columns every versioned registry entity has, and the session dependency routes use."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy import DateTime, Integer, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import get_session, utcnow

# scope="function": the unit of work commits when the handler returns, before the response is
# sent. With FastAPI's default ("request") the commit would run after the client already has its
# 200, so a failed commit could not change the answer and a fast client could read stale data.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


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
