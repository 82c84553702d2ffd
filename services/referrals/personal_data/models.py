"""Encrypted personal data: one wrapped data key per case, one ciphertext per data category."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.db import Base


class CaseKey(Base):
    """The case's data key, wrapped by a master key. Erasure sets it to NULL: a tombstone remains."""

    __tablename__ = "case_key"

    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), primary_key=True)
    master_key_id: Mapped[str | None] = mapped_column(sa.Text)
    wrapped_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    destroyed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class PersonalRecord(Base):
    """One data category of a case (identity_contact, documents, vulnerabilities, needs, notes)."""

    __tablename__ = "personal_record"

    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("case.id"), primary_key=True)
    category: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
