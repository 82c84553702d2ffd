"""Session-wide real servers. Every test that touches PostgreSQL or NATS uses these."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

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
