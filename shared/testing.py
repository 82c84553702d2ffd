"""Test helpers: real PostgreSQL and NATS, started once per test session.

Set ``HAWKARI_TEST_DATABASE_URL`` (a server URL whose user may create databases) and
``HAWKARI_TEST_NATS_URL`` to use external servers; otherwise the embedded ones from the wheels
run in a temporary folder and stop with the session. Each test gets its own database.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

from shared.db import asyncpg_dsn
from shared.processes import EmbeddedNats, EmbeddedPostgres, free_port


@dataclass
class RunningServers:
    postgres_url: str  # SQLAlchemy URL of the server's maintenance database
    nats_url: str
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None

    def database_url(self, name: str) -> str:
        return make_url(self.postgres_url).set(database=name).render_as_string(hide_password=False)

    async def create_database(self, prefix: str = "t", template: str | None = None) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(asyncpg_dsn(self.postgres_url))
        try:
            clause = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(f'CREATE DATABASE "{name}"{clause}')
        finally:
            await conn.close()
        return self.database_url(name)

    async def migrated_template(self, migrations: Path, prefix: str) -> str:
        """A database migrated to head once, to copy per test with ``create_database(template=...)``.

        Returns its URL; pass ``make_url(url).database`` as the template name.
        """
        from shared.migrations import upgrade

        url = await self.create_database(prefix)
        await asyncio.to_thread(upgrade, migrations, url)
        return url

    async def drop_database(self, url: str) -> None:
        name = make_url(url).database
        conn = await asyncpg.connect(asyncpg_dsn(self.postgres_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@contextmanager
def start_test_servers() -> Iterator[RunningServers]:
    external_pg = os.environ.get("HAWKARI_TEST_DATABASE_URL")
    external_nats = os.environ.get("HAWKARI_TEST_NATS_URL")
    with tempfile.TemporaryDirectory(prefix="hawkari-test-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        pg = nats = None
        try:
            if external_pg:
                pg_url = external_pg
            else:
                pg = EmbeddedPostgres("postgres", free_port(), root / "pg")
                pg.start()
                pg_url = pg.url()
            if external_nats:
                nats_url = external_nats
            else:
                nats = EmbeddedNats("nats", free_port(), root / "nats")
                nats.start()
                nats_url = nats.url()
            yield RunningServers(pg_url, nats_url, pg, nats)
        finally:
            if nats is not None:
                nats.stop()
            if pg is not None:
                pg.stop()


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 10.0, interval: float = 0.02
) -> None:
    """Wait until ``check()`` is true; fail the test if it is not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
