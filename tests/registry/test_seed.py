"""The demo seed: idempotent, through the service layer, and in step with the demo logins."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import asyncpg

from services.registry.seed import ORGANIZATIONS, org_id, seed
from shared.db import asyncpg_dsn
from shared.migrations import upgrade
from shared.testing import RunningServers
from tests.registry.harness import MIGRATIONS

REALM_USERS = Path(__file__).resolve().parents[2] / "deploy" / "keycloak" / "dev" / "hawkari-users-0.json"
TABLES = (
    "organization",
    "location",
    "service",
    "taxonomy_term",
    "programme",
    "eligibility_rule",
    "benefit",
    "cost_of_living_factor",
    "currency_rate",
    "outbox_event",
    "change_record",
    "service_search",
)


async def counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return {t: int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in TABLES}  # noqa: S608
    finally:
        await conn.close()


def test_every_demo_login_belongs_to_a_seeded_organization() -> None:
    users = json.loads(REALM_USERS.read_text())["users"]
    seeded = {org_id(o["slug"]) for o in ORGANIZATIONS}
    for user in users:
        claim = (user.get("attributes") or {}).get("org_id")
        if claim:
            assert uuid.UUID(claim[0]) in seeded, user["username"]
    assert org_id("rwanga") == uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:rwanga")


async def test_seed_fills_an_empty_database_once(servers: RunningServers, registry_db: str) -> None:
    url = await servers.create_database(prefix="seed")
    try:
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        await seed(url)
        first = await counts(url)
        assert first["service"] == 14 and first["organization"] == 13 and first["programme"] == 9
        # Every entity's creation went out through the outbox.
        assert first["outbox_event"] == sum(
            first[t] for t in ("organization", "location", "service", "taxonomy_term", "programme", "benefit")
        )
        assert first["service_search"] == first["service"]
        await seed(url)
        assert await counts(url) == first
        # The test template was seeded the same way.
        assert await counts(registry_db) == first
    finally:
        await servers.drop_database(url)
