"""`hawkari db upgrade`: migrate a service's own database, as a deployment runs it.

Unlike `hawkari migrate` (which creates every database on one server, for the embedded stack), this
reads the database URL from the service's own settings, so it runs with exactly the credentials and
host the service gets in docker-compose or Kubernetes. An advisory lock makes concurrent runs (an
init container in every replica) wait for each other instead of racing through the same history.
"""

from __future__ import annotations

import asyncio
import zlib

import asyncpg
from pydantic import ValidationError
from sqlalchemy import make_url

from hawkari import stack
from hawkari.configdoc import settings_class
from shared.db import asyncpg_dsn
from shared.migrations import database_revision, upgrade


def lock_key(service: str) -> int:
    # A stable 32-bit key per service (advisory locks are per database anyway).
    return zlib.crc32(f"hawkari-migrate-{service}".encode())


async def _upgrade_locked(spec: stack.ServiceSpec, url: str) -> str | None:
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", lock_key(spec.name))
        try:
            await asyncio.to_thread(upgrade, spec.migrations, url)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_key(spec.name))
    finally:
        await conn.close()
    return await database_revision(url)


def upgrade_service(spec: stack.ServiceSpec) -> str | None:
    """Upgrade the service's database to head; returns the revision it is at afterwards."""
    from hawkari.cli import StackError

    try:
        url = settings_class(spec.name)().database_url
    except ValidationError as exc:
        raise StackError(f"the {spec.name} settings are invalid: {exc.errors()[0]['msg']}") from exc
    where = make_url(url).render_as_string(hide_password=True)
    try:
        return asyncio.run(_upgrade_locked(spec, url))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise StackError(
            f"the {spec.name} database at {where} cannot be reached ({exc.__class__.__name__})"
        ) from exc
    except Exception as exc:
        raise StackError(f"the {spec.name} migrations failed: {exc}") from exc
