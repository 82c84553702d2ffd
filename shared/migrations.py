"""Alembic helpers: one migration history per service, one database per service.

A service's ``migrations/env.py`` is two lines: import its metadata and call
:func:`run_env`. Migrations run through asyncpg, the same driver the service uses.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import asyncpg_dsn


def alembic_config(script_location: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    # ConfigParser interpolation would eat a '%' in a password.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    """Run one service's migrations up to ``revision``. Call it outside a running event loop."""
    command.upgrade(alembic_config(script_location, url), revision)


def head_revision(script_location: Path) -> str | None:
    script = ScriptDirectory.from_config(alembic_config(script_location, "postgresql://unused/x"))
    return script.get_current_head()


async def database_revision(url: str) -> str | None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if not await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL"):
            return None
        value: str | None = await conn.fetchval("SELECT version_num FROM alembic_version")
        return value
    finally:
        await conn.close()


def _run_sync(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync, metadata)
    finally:
        await engine.dispose()


def run_env(metadata: MetaData) -> None:
    """The body of a service's ``migrations/env.py``."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set (shared.migrations.upgrade sets it)"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_async(url, metadata))


# --- tables every service's first migration creates ------------------------------------------------
#
# Written out here, not derived from shared.outbox.define_outbox_table: a migration must create
# the schema of its own day even after the model moves on, so a later change to the outbox takes
# a new migration and leaves these as they are.


def create_outbox_table() -> None:
    """Create ``outbox_event`` (shared.outbox) with its index of events not yet published."""
    op.create_table(
        "outbox_event",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("envelope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox_event")),
        sa.UniqueConstraint("id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(
        "ix_outbox_event_unpublished",
        "outbox_event",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def drop_outbox_table() -> None:
    """Undo :func:`create_outbox_table`."""
    op.drop_index(
        "ix_outbox_event_unpublished",
        table_name="outbox_event",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox_event")
