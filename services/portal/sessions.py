"""Server-side sessions in the portal database, named by a signed, HttpOnly cookie.

The cookie carries a random secret signed with ``session_secret`` (itsdangerous); the table keys
the row by the secret's SHA-256, so neither a database dump nor a forged cookie opens a session.
The user's tokens are sealed with :class:`services.portal.crypto.TokenBox`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from fastapi import Request, Response
from itsdangerous import BadSignature, Signer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.portal.crypto import TokenBox
from services.portal.models import LoginRequest, PortalSession
from services.portal.settings import PortalSettings
from shared.db import utcnow

COOKIE = "hawkari_session"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class Tokens:
    access: str = field(repr=False)
    refresh: str | None = field(repr=False)
    id_token: str | None = field(repr=False)
    access_expires_at: datetime


@dataclass
class UserSession:
    """The logged-in user as the portal knows them."""

    id: str
    subject: str
    username: str
    org_id: str | None
    roles: frozenset[str]
    csrf_token: str
    tokens: Tokens

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


class SessionStore:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: PortalSettings) -> None:
        self._sm = sessionmaker
        self._settings = settings
        self._box = TokenBox(settings.token_key.get_secret_value())
        self._signer = Signer(settings.session_secret.get_secret_value(), salt="hawkari-portal-session")

    # --- cookie ---------------------------------------------------------------------------------
    def cookie_secret(self, request: Request) -> str | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            return self._signer.unsign(raw).decode()
        except BadSignature:
            return None

    def set_cookie(self, response: Response, secret: str) -> None:
        response.set_cookie(
            COOKIE,
            self._signer.sign(secret).decode(),
            max_age=self._settings.session_max_hours * 3600,
            httponly=True,
            samesite="lax",
            secure=self._settings.secure_cookies,
            path="/",
        )

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(
            COOKIE, httponly=True, samesite="lax", secure=self._settings.secure_cookies, path="/"
        )

    # --- sessions -------------------------------------------------------------------------------
    async def create(
        self, *, subject: str, username: str, org_id: str | None, roles: frozenset[str], tokens: Tokens
    ) -> str:
        """Store a new session; returns the cookie secret."""
        secret = secrets.token_urlsafe(32)
        row_id = digest(secret)
        now = utcnow()
        async with self._sm.begin() as db:
            db.add(
                PortalSession(
                    id=row_id,
                    subject=subject,
                    username=username,
                    org_id=org_id,
                    roles=sorted(roles),
                    tokens=self._seal(tokens, row_id),
                    access_expires_at=tokens.access_expires_at,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(hours=self._settings.session_max_hours),
                )
            )
        return secret

    async def load(self, secret: str) -> UserSession | None:
        row_id = digest(secret)
        now = utcnow()
        idle = timedelta(minutes=self._settings.session_idle_minutes)
        async with self._sm.begin() as db:
            row = await db.get(PortalSession, row_id)
            if row is None:
                return None
            if row.expires_at <= now or row.last_seen_at + idle <= now:
                await db.delete(row)
                return None
            tokens = self._open(row.tokens, row_id, row.access_expires_at)
            if tokens is None:
                await db.delete(row)
                return None
            # Touch at most once a minute: a page with many requests costs one write, not many.
            if now - row.last_seen_at > timedelta(minutes=1):
                row.last_seen_at = now
        return UserSession(
            id=row_id,
            subject=row.subject,
            username=row.username,
            org_id=row.org_id,
            roles=frozenset(row.roles),
            csrf_token=row.csrf_token,
            tokens=tokens,
        )

    async def replace_tokens(self, session: UserSession, tokens: Tokens) -> None:
        async with self._sm.begin() as db:
            await db.execute(
                sa.update(PortalSession)
                .where(PortalSession.id == session.id)
                .values(
                    tokens=self._seal(tokens, session.id),
                    access_expires_at=tokens.access_expires_at,
                    last_seen_at=utcnow(),
                )
            )
        session.tokens = tokens

    async def delete(self, row_id: str) -> None:
        async with self._sm.begin() as db:
            await db.execute(sa.delete(PortalSession).where(PortalSession.id == row_id))

    async def purge_expired(self) -> int:
        now = utcnow()
        async with self._sm.begin() as db:
            result = await db.execute(sa.delete(PortalSession).where(PortalSession.expires_at <= now))
            await db.execute(
                sa.delete(LoginRequest).where(LoginRequest.created_at <= now - timedelta(minutes=15))
            )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- logins in flight -----------------------------------------------------------------------
    async def begin_login(self, state: str, verifier: str, return_to: str) -> None:
        row_id = digest(state)
        async with self._sm.begin() as db:
            db.add(
                LoginRequest(
                    id=row_id,
                    verifier=self._box.seal(verifier.encode(), row_id),
                    return_to=return_to,
                    created_at=utcnow(),
                )
            )

    async def finish_login(self, state: str) -> tuple[str, str] | None:
        """(verifier, return_to) for a state seen once and less than 15 minutes ago; else None."""
        row_id = digest(state)
        async with self._sm.begin() as db:
            row = await db.get(LoginRequest, row_id)
            if row is None:
                return None
            await db.delete(row)
            if row.created_at <= utcnow() - timedelta(minutes=15):
                return None
            verifier = self._box.open(row.verifier, row_id)
        return (verifier.decode(), row.return_to) if verifier is not None else None

    # --- sealing --------------------------------------------------------------------------------
    def _seal(self, tokens: Tokens, row_id: str) -> bytes:
        doc = {"access": tokens.access, "refresh": tokens.refresh, "id": tokens.id_token}
        return self._box.seal(json.dumps(doc).encode(), row_id)

    def _open(self, sealed: bytes, row_id: str, expires_at: datetime) -> Tokens | None:
        plain = self._box.open(sealed, row_id)
        if plain is None:
            return None
        doc = json.loads(plain)
        return Tokens(doc["access"], doc.get("refresh"), doc.get("id"), expires_at)
