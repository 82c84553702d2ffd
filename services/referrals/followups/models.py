"""Outcome follow-ups: answers sealed with the case key, dimension scores (0..1) in clear."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.db import Base


class FollowUp(Base):
    __tablename__ = "follow_up"
    __table_args__ = (sa.UniqueConstraint("case_id", "timepoint"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), index=True)
    timepoint: Mapped[str] = mapped_column(sa.Text)  # baseline | month_3 | month_6 | month_12
    question_set: Mapped[str] = mapped_column(sa.Text)
    sealed_answers: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    economic: Mapped[float | None]
    social: Mapped[float | None]
    psychosocial: Mapped[float | None]
    recorded_by: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
