"""The service factory: health and readiness against real servers, authenticated routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import Depends, FastAPI

from deploy.devidp.testing import issuer_of, password_token
from shared.app import ServiceDefinition, create_service_app
from shared.auth import Principal, authenticated_router, require_roles
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
