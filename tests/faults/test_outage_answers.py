"""An unreachable database is answered once, as a 503, and not re-raised to the server (found by the
fault run: every request made while PostgreSQL restarted left a full traceback at ERROR in the log,
because the catch-all handler runs in the outermost middleware, which re-raises after answering)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from tests.shared.test_errors import assert_problem, make_app


def lost_connection() -> DBAPIError:
    error = DBAPIError("SELECT 1", None, ConnectionResetError("connection was closed"))
    error.connection_invalidated = True
    return error


@pytest.mark.parametrize("error", [ConnectionRefusedError("connect call failed"), lost_connection()])
async def test_a_database_outage_is_a_503_the_server_never_sees_as_a_crash(error: Exception) -> None:
    app = make_app()

    @app.get("/outage")
    async def outage() -> None:
        raise error

    # raise_app_exceptions=True: whatever the app re-raises to its server fails this request.
    transport = httpx.ASGITransport(app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/outage")
    assert_problem(response, 503, "service-unavailable")
    assert response.headers["retry-after"].isdigit()
