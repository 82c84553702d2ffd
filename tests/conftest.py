"""Session-wide real servers. Every test that touches PostgreSQL or NATS uses these."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from deploy.devidp.testing import running_idp
from shared.testing import RunningServers, start_test_servers


@pytest.fixture(scope="session")
def servers() -> Iterator[RunningServers]:
    with start_test_servers() as running:
        yield running


@pytest.fixture
async def database_url(servers: RunningServers) -> AsyncIterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    url = await servers.create_database()
    yield url
    await servers.drop_database(url)


@pytest.fixture(scope="session")
def idp_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("devidp")


@pytest.fixture(scope="session")
def idp_url(idp_key_dir: Path) -> Iterator[str]:
    """Base URL of a real running development IdP, e.g. http://127.0.0.1:41234."""
    with running_idp(idp_key_dir) as base_url:
        yield base_url
