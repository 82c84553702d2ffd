"""Email deliveries: messages waiting for (or done with) the SMTP relay."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.notifications.db import Base

PENDING = "pending"  # to be sent at next_attempt_at
HELD = "held"  # waiting for the recipient's daily digest
DIGESTED = "digested"  # folded into a digest delivery
SENT = "sent"


class EmailDelivery(Base):
    __tablename__ = "email_delivery"
    __table_args__ = (
        # Exactly once per event (or digest) and address.
        sa.UniqueConstraint("dedup_key", "address"),
        sa.Index("ix_email_delivery_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dedup_key: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    address: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.Text)
    # Rendered when first sent (a digest when made): the event path that queues it waits for no template.
    subject_line: Mapped[str | None] = mapped_column(sa.Text)
    text_body: Mapped[str | None] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    # The message's facts (no personal data), to render it and to fold held rows into a digest.
    message: Mapped[dict[str, object]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    digest_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
