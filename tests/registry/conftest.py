"""Registry test fixtures: a migrated, seeded template database; one copy per test; the app in
process (ASGI, with its lifespan); real tokens from a running development identity provider;
real NATS from the session's servers. Helpers live in harness.py."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import nats
import pytest
from fastapi import FastAPI
from sqlalchemy import make_url

from services.registry.seed import seed
from services.registry.settings import RegistrySettings
from shared.testing import RunningServers
from tests.registry.harness import MIGRATIONS, Api, Tokens, make_settings, running_app


@pytest.fixture(scope="session")
async def registry_template(servers: RunningServers) -> AsyncIterator[str]:
    """A database migrated once and seeded with the demo directory; each test copies it."""
    url = await servers.migrated_template(MIGRATIONS, "registry_tpl")
    await seed(url)
    name = make_url(url).database
    assert name
    yield name
    await servers.drop_database(url)


@pytest.fixture
async def registry_db(servers: RunningServers, registry_template: str) -> AsyncIterator[str]:
    url = await servers.create_database(prefix="registry", template=registry_template)
    yield url
    await servers.drop_database(url)


@pytest.fixture(scope="session")
def tokens(idp_url: str) -> Tokens:
    """Tokens from the session's development IdP (tests/conftest.py)."""
    return Tokens(idp_url)


@pytest.fixture
def settings(registry_db: str, idp_url: str, servers: RunningServers) -> RegistrySettings:
    return make_settings(registry_db, idp_url, servers.nats_url)


@pytest.fixture
async def app_api(settings: RegistrySettings, tokens: Tokens) -> AsyncIterator[tuple[FastAPI, Api]]:
    async with running_app(settings, tokens) as pair:
        yield pair


@pytest.fixture
def api(app_api: tuple[FastAPI, Api]) -> Api:
    return app_api[1]


@pytest.fixture
async def registry_stream(servers: RunningServers) -> AsyncIterator[str]:
    """A fresh stream name for one test; any stream holding registry subjects is removed before and
    after, since two streams may not share subjects."""

    async def clear() -> None:
        nc = await nats.connect(servers.nats_url)
        try:
            js = nc.jetstream()
            for info in await js.streams_info():
                if any(s.startswith("registry.") for s in info.config.subjects or []):
                    with contextlib.suppress(Exception):
                        await js.delete_stream(info.config.name)
        finally:
            await nc.close()

    await clear()
    yield f"REGISTRY_{uuid.uuid4().hex[:8].upper()}"
    await clear()
