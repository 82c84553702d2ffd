"""Keyed hashes of identifiers, and the possible-duplicate flags they raise."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.db import Base


class IdentityHash(Base):
    __tablename__ = "identity_hash"
    __table_args__ = (sa.Index("ix_identity_hash_kind_digest", "kind", "digest"),)

    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Text, primary_key=True)  # document | name_dob
    digest: Mapped[str] = mapped_column(sa.Text)


class DuplicateFlag(Base):
    __tablename__ = "duplicate_flag"
    __table_args__ = (sa.UniqueConstraint("case_a_id", "case_b_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_a_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), index=True)
    case_b_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, default="open")  # open | confirmed | dismissed
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
