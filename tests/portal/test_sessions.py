"""Sessions in the portal's PostgreSQL database: signed cookie, tokens sealed, idle and absolute expiry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from starlette.requests import Request
from starlette.responses import Response

from services.portal.models import PortalSession
from services.portal.sessions import COOKIE, SessionStore, Tokens
from services.portal.settings import PortalSettings
from shared.db import asyncpg_dsn, create_engine, create_sessionmaker, utcnow
from shared.migrations import upgrade

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "portal" / "migrations"


@pytest.fixture
async def store(database_url: str):  # type: ignore[no-untyped-def]
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    engine = create_engine(database_url, pool_size=2)
    settings = PortalSettings(database_url=database_url, session_idle_minutes=30, session_max_hours=12)
    yield SessionStore(create_sessionmaker(engine), settings)
    await engine.dispose()


def request_with(cookie: str | None) -> Request:
    headers = [(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie else []
    return Request({"type": "http", "headers": headers, "method": "GET", "path": "/"})


def tokens() -> Tokens:
    return Tokens("ACCESS-SECRET-MARKER", "REFRESH-SECRET-MARKER", "ID", utcnow() + timedelta(minutes=5))


async def test_a_session_round_trips_through_a_signed_cookie_and_keeps_tokens_sealed(
    store: SessionStore, database_url: str
) -> None:
    secret = await store.create(
        subject="s", username="u", org_id=None, roles=frozenset({"counsellor"}), tokens=tokens()
    )
    response = Response()
    store.set_cookie(response, secret)
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header
    cookie = header.split(";")[0].split("=", 1)[1]
    loaded = await store.load(store.cookie_secret(request_with(cookie)) or "")
    assert (
        loaded is not None
        and loaded.tokens.access == "ACCESS-SECRET-MARKER"
        and loaded.has_role("counsellor")
    )
    # A forged or altered cookie names no session.
    assert store.cookie_secret(request_with(secret)) is None
    assert store.cookie_secret(request_with(cookie[:-2] + "xx")) is None
    # Neither the cookie's secret nor a token is readable in the database.
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        dump = str(await conn.fetch("SELECT * FROM portal_session"))
    finally:
        await conn.close()
    assert secret not in dump and "ACCESS-SECRET-MARKER" not in dump and "REFRESH-SECRET-MARKER" not in dump


async def test_idle_and_expired_sessions_are_gone(store: SessionStore) -> None:
    idle = await store.create(subject="s", username="u", org_id=None, roles=frozenset(), tokens=tokens())
    old = await store.create(subject="s", username="u", org_id=None, roles=frozenset(), tokens=tokens())
    from services.portal.sessions import digest

    async with store._sm.begin() as db:  # the clock moves on: 31 minutes idle / past the maximum age
        (await db.get(PortalSession, digest(idle))).last_seen_at = utcnow() - timedelta(minutes=31)  # type: ignore[union-attr]
        (await db.get(PortalSession, digest(old))).expires_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert await store.load(idle) is None
    assert await store.load(old) is None


async def test_a_login_state_is_used_once(store: SessionStore) -> None:
    await store.begin_login("state-1", "verifier-1", "/cases")
    assert await store.finish_login("state-1") == ("verifier-1", "/cases")
    assert await store.finish_login("state-1") is None
    assert await store.finish_login("never-issued") is None
