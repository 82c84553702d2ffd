"""The directory notifications needs: a small registry replica, and the staff users it can reach.

Organizations and services come from registry events. Users come from the identity provider's
access tokens: each verified token that reaches this service says who the user is (``sub``), their
organization, roles, work email address and locale, and ``directory.users`` keeps the latest.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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


class DirectoryUser(Base):
    """A staff user as their last access token described them (never a returnee)."""

    __tablename__ = "directory_user"
    __table_args__ = (sa.Index("ix_directory_user_org_id", "org_id"),)

    # The IdP subject (``sub``), what events name as ``referrer_subject``.
    subject: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    org_id: Mapped[uuid.UUID | None]
    roles: Mapped[list[str]] = mapped_column(ARRAY(sa.Text))
    # The ``email`` claim: the user's work address.
    email: Mapped[str | None] = mapped_column(sa.Text)
    # The ``locale`` claim (Keycloak's user locale); saved preferences override it.
    locale: Mapped[str | None] = mapped_column(sa.Text)
    # When a token last told us something new about the user.
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
