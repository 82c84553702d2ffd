"""Fixtures for the referrals tests: a migrated template database, the dev IdP, the app in-process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from deploy.devidp.testing import issuer_of, running_idp
from services.referrals.app import create_app
from services.referrals.clock import SettableClock
from services.referrals.settings import ReferralsSettings
from shared.testing import RunningServers
from tests.referrals.world import Api, Directory

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "referrals" / "migrations"
USERS = (
    "counsellor.erbil",
    "counsellor.baghdad",
    "counsellor.sulaymaniyah",
    "caseworker.rwanga",
    "caseworker.ettc",
    "admin.rwanga",
    "funder.se",
    "dpo.noraq",
    "admin.platform",
)


@pytest.fixture(scope="session")
async def referrals_template(servers: RunningServers) -> str:
    url = await servers.migrated_template(MIGRATIONS, "referrals_tpl")
    return url.rsplit("/", 1)[1]


@pytest.fixture
async def referrals_db(servers: RunningServers, referrals_template: str) -> AsyncIterator[str]:
    url = await servers.create_database("referrals", template=referrals_template)
    yield url
    await servers.drop_database(url)


@pytest.fixture(scope="session")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_idp(tmp_path_factory.mktemp("idp")) as base_url:
        yield base_url


@pytest.fixture(scope="session")
async def tokens(idp: str) -> dict[str, str]:
    out = {}
    async with httpx.AsyncClient() as http:
        for user in USERS:
            r = await http.post(
                f"{issuer_of(idp)}/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "hawkari-cli",
                    "username": user,
                    "password": "hawkari-demo",
                },
            )
            r.raise_for_status()
            out[user] = r.json()["access_token"]
    return out


def settings_for(database_url: str, servers: RunningServers, idp: str, **overrides: Any) -> ReferralsSettings:
    fields: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "nats_url": servers.nats_url,
        "oidc_issuer": issuer_of(idp),
        "replica_consumer": f"test-replica-{uuid.uuid4().hex[:8]}",
        "run_workers": False,
        "run_expiry": False,
        **overrides,
    }
    return ReferralsSettings(**fields)


class Harness:
    def __init__(self, app: FastAPI, api: Api, clock: SettableClock, directory: Directory, url: str) -> None:
        self.app, self.api, self.clock, self.directory, self.url = app, api, clock, directory, url


@pytest.fixture
async def harness(
    referrals_db: str, servers: RunningServers, idp: str, tokens: dict[str, str]
) -> AsyncIterator[Harness]:
    clock = SettableClock()
    app = create_app(settings_for(referrals_db, servers, idp), clock=clock)
    async with LifespanManager(app) as manager:
        directory = Directory()
        await directory.load(app.state.sessionmaker)
        transport = httpx.ASGITransport(manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://referrals") as client:
            yield Harness(app, Api(client, tokens), clock, directory, referrals_db)


@pytest.fixture
def api(harness: Harness) -> Api:
    return harness.api
