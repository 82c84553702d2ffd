"""Webhook endpoints of organizations, their deliveries (one per event) and every attempt."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.db import Base

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"  # gave up after the retry window


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    url: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(sa.Text))
    # The Standard Webhooks secret (whsec_...), encrypted with the service's key.
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    # After a rotation, the previous secret also signs until this time, so receivers can switch.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    secret_rotated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    enabled: Mapped[bool] = mapped_column(server_default=sa.true())
    consecutive_failures: Mapped[int] = mapped_column(server_default="0")
    disabled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id"),
        sa.Index(
            "ix_webhook_delivery_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(sa.Text)
    event_type: Mapped[str] = mapped_column(sa.Text)
    # The CloudEvent itself: the body of every attempt, byte for byte the same.
    payload: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    give_up_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    duration_ms: Mapped[int]
    # Extra request details (never the secret) for the log.
    detail: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
