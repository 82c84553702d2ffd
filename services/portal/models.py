"""The portal's only tables: browser sessions and logins in flight. No business data lives here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()


class PortalSession(Base):
    """A logged-in browser. ``id`` is the SHA-256 of the cookie's secret, never the secret itself."""

    __tablename__ = "portal_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), index=True)
    username: Mapped[str] = mapped_column(String(255))
    org_id: Mapped[str | None] = mapped_column(String(36))
    roles: Mapped[list[str]] = mapped_column(JSON)
    # Access, refresh and ID token as one JSON document, sealed with crypto.TokenBox.
    tokens: Mapped[bytes] = mapped_column(LargeBinary)
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginRequest(Base):
    """An authorization request sent to the identity provider, awaiting its callback."""

    __tablename__ = "login_request"

    # SHA-256 of the ``state`` parameter.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The PKCE code verifier, sealed.
    verifier: Mapped[bytes] = mapped_column(LargeBinary)
    return_to: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
