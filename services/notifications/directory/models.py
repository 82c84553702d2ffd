"""The small registry replica messages need: organization names and contacts, service names."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.db import Base


class ReplicaOrganization(Base):
    __tablename__ = "replica_organization"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int]
    active: Mapped[bool]
    # {"en": ..., "ar": ..., "ckb": ...}
    name: Mapped[dict[str, str | None]] = mapped_column(JSONB)
    # The organization's published institutional address, never a person's.
    email: Mapped[str | None] = mapped_column(sa.Text)


class ReplicaService(Base):
    __tablename__ = "replica_service"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int]
    active: Mapped[bool]
    organization_id: Mapped[uuid.UUID]
    name: Mapped[dict[str, str | None]] = mapped_column(JSONB)
