"""Database plumbing: engines made in the lifespan, one unit of work per request, migrations.

Each service owns one PostgreSQL database and one Alembic history. Services never commit: the
request's session dependency commits once when the handler returns, or rolls back on any error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Constraint names that Alembic can diff and that say what they guard.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No ping per checkout (a round trip on every request). After a PostgreSQL restart the first
        # query on a dead connection fails, SQLAlchemy invalidates the whole pool, and the request
        # answers 503 with Retry-After (shared.errors); the next one gets fresh connections.
        pool_pre_ping=False,
        pool_recycle=1800,
        echo=echo,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit once on success, roll back on any exception."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# The request's session. scope="function" closes it (commits) before the response is sent; with
# FastAPI's default scope the commit would run after the client already has its 201, so a client
# could read before the write is visible, or be told of a write whose commit then failed.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def driver_of(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a SQLAlchemy connection, in whatever transaction state it is."""
    raw = await conn.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, for a hot path's hand-written statements.

    Its transaction state is the session's: SQLAlchemy sends BEGIN lazily, with the session's first
    statement, so until the session has executed something a statement here runs on its own (one
    statement, its own transaction); after that it runs inside the session's transaction and
    commits with it. The session's commit or rollback is unaffected either way.
    """
    return await driver_of(await session.connection())


async def create_driver_pool(url: str, *, max_size: int = 10) -> asyncpg.Pool:
    """The service's own asyncpg pool, made in the lifespan, for hot paths' hand-written statements.

    Taking a connection from it costs a fraction of a SQLAlchemy checkout (no greenlet, no pool
    events, no reset round trip); the ORM's requests keep the engine's pool. A connection the
    server closed (a restart) is replaced when it is next taken; one a failure left unusable is
    closed when it is given back.
    """
    pool: asyncpg.Pool = await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=0,
        max_size=max_size,
        max_inactive_connection_lifetime=300,
        init=_decode_json_as_sqlalchemy_does,
        reset=keep_session_state,
    )
    return pool


async def keep_session_state(_conn: asyncpg.Connection) -> None:
    """An asyncpg pool ``reset`` for connections whose users leave no session state behind.

    asyncpg's default reset (unlock, close cursors, unlisten, reset settings) is a round trip on
    every release; it still rolls back, before calling this, a transaction that a failure or a
    cancellation interrupted.
    """
    return None


async def _decode_json_as_sqlalchemy_does(conn: asyncpg.Connection) -> None:
    # The same statement must read the same values on either pool: JSON text in, Python values
    # out. Binary format, because a composite row (a record of a table) can only be decoded so;
    # binary jsonb is its text behind a version byte.
    await conn.set_type_codec(
        "json", encoder=str.encode, decoder=json.loads, schema="pg_catalog", format="binary"
    )
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda text: b"\x01" + text.encode(),
        decoder=lambda data: json.loads(data[1:]),
        schema="pg_catalog",
        format="binary",
    )


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL as a plain libpq DSN for asyncpg (LISTEN/NOTIFY, admin tasks)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it is missing. Returns whether it was created."""
    parsed = make_url(url)
    name = parsed.database
    assert name, "the database URL must name a database"
    admin = asyncpg_dsn(parsed.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        # Identifiers cannot be bound as parameters; quote it the way PostgreSQL does.
        quoted = await conn.fetchval("SELECT quote_ident($1)", name)
        await conn.execute(f"CREATE DATABASE {quoted}")
        return True
    finally:
        await conn.close()


async def database_reachable(engine: AsyncEngine, timeout: float = 2.0) -> bool:
    from sqlalchemy import text

    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
