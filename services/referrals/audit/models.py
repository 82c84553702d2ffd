"""The audit log: append-only (a trigger refuses UPDATE and DELETE), each entry chained by hash.

A unit of work writes its entries to ``audit_pending``; at COMMIT a deferred trigger (migration
0003) takes the chain lock, links each into ``audit_entry`` and deletes it from ``audit_pending``,
so that table is empty outside open transactions.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.referrals.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    actor_subject: Mapped[str] = mapped_column(sa.Text)
    actor_username: Mapped[str] = mapped_column(sa.Text)
    actor_org_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(sa.Text)
    case_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    referral_id: Mapped[uuid.UUID | None]
    categories: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    purpose: Mapped[str | None] = mapped_column(sa.Text)
    # Ids and codes only, never personal data: this log outlives erasure.
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.Text)
    hash: Mapped[str] = mapped_column(sa.Text, unique=True)
    # How ``hash`` was computed (services/referrals/audit/chain.py): 1 before migration 0003, 2 since.
    chain_format: Mapped[int] = mapped_column(sa.SmallInteger, server_default="2")


class AuditPending(Base):
    """An entry of a unit of work not yet committed: the same fields and its content digest."""

    __tablename__ = "audit_pending"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    actor_subject: Mapped[str] = mapped_column(sa.Text)
    actor_username: Mapped[str] = mapped_column(sa.Text)
    actor_org_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(sa.Text)
    case_id: Mapped[uuid.UUID | None]
    referral_id: Mapped[uuid.UUID | None]
    categories: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    purpose: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    content_digest: Mapped[str] = mapped_column(sa.Text)
