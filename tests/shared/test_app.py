"""The service factory: health and readiness against real servers, authenticated routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import Depends, FastAPI

from deploy.devidp.testing import issuer_of, password_token
from shared.app import ServiceDefinition, create_service_app
from shared.auth import Principal, authenticated_router, require_roles
from shared.db import SessionDep
from shared.processes import free_port
from shared.settings import ServiceSettings
from shared.testing import RunningServers


def make_app(database_url: str, nats_url: str, issuer: str) -> FastAPI:
    router = authenticated_router(tags=["demo"])

    @router.get("/whoami")
    async def whoami(principal: Principal = Depends(require_roles("counsellor"))) -> dict[str, Any]:
        return {"username": principal.username, "org_id": str(principal.org_id)}

    settings = ServiceSettings(database_url=database_url, nats_url=nats_url, oidc_issuer=issuer)
    return create_service_app(
        ServiceDefinition(name="demo", title="Demo", settings=settings, routers=[router])
    )


async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            yield client


async def test_ready_when_database_and_nats_answer(
    database_url: str, servers: RunningServers, idp_url: str
) -> None:
    async for client in client_for(make_app(database_url, servers.nats_url, issuer_of(idp_url))):
        assert (await client.get("/healthz")).json() == {"status": "ok", "service": "demo"}
        import asyncio

        for _ in range(50):  # NATS connects in the background
            response = await client.get("/readyz")
            if response.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": True, "nats": True}


async def test_not_ready_while_nats_is_unreachable(database_url: str, idp_url: str) -> None:
    async for client in client_for(
        make_app(database_url, f"nats://127.0.0.1:{free_port()}", issuer_of(idp_url))
    ):
        assert (await client.get("/healthz")).status_code == 200  # alive, though not ready
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"]
        assert response.json()["checks"] == {"database": True, "nats": False}


async def test_not_ready_while_the_database_is_unreachable(servers: RunningServers, idp_url: str) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    async for client in client_for(make_app(url, servers.nats_url, issuer_of(idp_url))):
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["database"] is False


async def test_routes_are_authenticated_and_role_checked(
    database_url: str, servers: RunningServers, idp_url: str
) -> None:
    async for client in client_for(make_app(database_url, servers.nats_url, issuer_of(idp_url))):
        anonymous = await client.get("/v1/whoami")
        assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["www-authenticate"]
        counsellor = await client.get(
            "/v1/whoami",
            headers={"Authorization": f"Bearer {await password_token(idp_url, 'counsellor.erbil')}"},
        )
        assert counsellor.status_code == 200 and counsellor.json()["username"] == "counsellor.erbil"
        funder = await client.get(
            "/v1/whoami", headers={"Authorization": f"Bearer {await password_token(idp_url, 'funder.se')}"}
        )
        assert funder.status_code == 403
        assert funder.headers["content-type"] == "application/problem+json"


async def test_openapi_is_served(
    database_url: str, servers: RunningServers, idp_url: str, tmp_path: Path
) -> None:
    async for client in client_for(make_app(database_url, servers.nats_url, issuer_of(idp_url))):
        spec = (await client.get("/openapi.json")).json()
        assert "/v1/whoami" in spec["paths"] and "/readyz" in spec["paths"]


async def test_a_restarted_database_is_reconnected_without_restarting_the_service(
    tmp_path: Path, servers: RunningServers, idp_url: str
) -> None:
    import asyncio

    from shared.processes import EmbeddedPostgres

    tmp_path.chmod(0o755)
    own = EmbeddedPostgres("pg", free_port(), tmp_path / "pg")
    own.start()
    try:
        async for client in client_for(make_app(own.url(), servers.nats_url, issuer_of(idp_url))):
            for _ in range(50):
                if (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            own.stop()
            down = await client.get("/readyz")
            assert down.status_code == 503 and down.json()["checks"]["database"] is False
            own.start()
            answers = [(await client.get("/readyz")).status_code for _ in range(3)]
            assert answers[-1] == 200, answers  # the dead pool was dropped; no restart needed
    finally:
        own.stop()


async def test_the_unit_of_work_commits_before_the_response_is_sent(database_url: str) -> None:
    """A client that has its 201 must find the write from any other connection at once."""
    import threading
    import time

    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    from shared.db import create_engine, create_sessionmaker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server_engine = create_engine(database_url)  # made on the server's own event loop
        app.state.sessionmaker = create_sessionmaker(server_engine)
        yield
        await server_engine.dispose()

    app = FastAPI(lifespan=lifespan)
    slow_commits: list[float] = []

    @app.post("/rows", status_code=201)
    async def add_row(session: SessionDep) -> dict[str, str]:
        await session.execute(text("INSERT INTO t VALUES (1)"))
        return {"status": "created"}

    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x int)"))

    def slow(session: Session) -> None:  # the commit takes a while: the response must wait for it
        time.sleep(0.3)
        slow_commits.append(time.monotonic())

    event.listen(Session, "before_commit", slow)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        async with httpx.AsyncClient() as http:
            response = await http.post(f"http://127.0.0.1:{port}/rows")
        answered = time.monotonic()
        assert response.status_code == 201
        assert slow_commits and slow_commits[0] <= answered
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
    finally:
        event.remove(Session, "before_commit", slow)
        server.should_exit = True
        thread.join(5)
        await engine.dispose()
