"""Transfers of a case's ownership between organizations: requested, then accepted or declined."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.db import Base


class CaseTransfer(Base):
    __tablename__ = "case_transfer"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), index=True)
    from_org_id: Mapped[uuid.UUID]
    to_org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.Text)  # requested | accepted | declined
    requested_by: Mapped[str] = mapped_column(sa.Text)
    decided_by: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
