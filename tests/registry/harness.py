"""Helpers of the registry tests (the fixtures in conftest.py use them; tests import them from here,
never from conftest, which pytest loads under a module name of its own)."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from deploy.devidp.testing import issuer_of
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.settings import Environment

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "registry" / "migrations"
PASSWORD = "hawkari-demo"

# (method, path template) of every operation a test called with a token that got past
# authentication: see test_zz_endpoint_coverage.py.
CALLED_ROUTES: set[tuple[str, str]] = set()


class Tokens:
    """Access tokens of the demo users, by password grant on the hawkari-cli client, cached until
    halfway through their life (the session's IdP may run longer than one token lives)."""

    def __init__(self, base_url: str) -> None:
        self.url = f"{issuer_of(base_url)}/protocol/openid-connect/token"
        self._cache: dict[str, tuple[str, float]] = {}

    def __call__(self, username: str) -> str:
        token, renew_at = self._cache.get(username, ("", 0.0))
        if time.monotonic() >= renew_at:
            response = httpx.post(
                self.url,
                data={
                    "grant_type": "password",
                    "client_id": "hawkari-cli",
                    "username": username,
                    "password": PASSWORD,
                },
                timeout=10,
            )
            response.raise_for_status()
            body = response.json()
            token = str(body["access_token"])
            self._cache[username] = (token, time.monotonic() + float(body.get("expires_in", 60)) / 2)
        return token


def make_settings(database_url: str, idp: str, nats_url: str, **overrides: Any) -> RegistrySettings:
    fields: dict[str, Any] = {
        "environment": Environment.test,
        "database_url": database_url,
        "nats_url": nats_url,
        "oidc_issuer": issuer_of(idp),
        "public_url": "http://registry.test",
        "run_workers": False,
        **overrides,
    }
    return RegistrySettings(**fields)


def api_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every operation the app documents under /v1 and /hsds."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(("/v1", "/hsds"))
        for method in operations
    )


_PATTERNS: list[tuple[str, str, re.Pattern[str]]] = []


def _patterns(app: FastAPI) -> list[tuple[str, str, re.Pattern[str]]]:
    # Building the OpenAPI document takes about half a second: once per session is enough, the
    # routes do not depend on the settings.
    if not _PATTERNS:
        _PATTERNS.extend(
            (
                method,
                template,
                re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"),
            )
            for method, template in api_operations(app)
        )
    return _PATTERNS


class RouteRecorder:
    """ASGI wrapper noting which documented operation served each request that carried a token and
    got past authentication. Matched on the OpenAPI path templates, not on framework internals."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.patterns = _patterns(app)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        status: list[int] = []

        async def noting_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, noting_send)
        if scope["type"] != "http" or not status or status[0] == 401:
            return
        if not any(k == b"authorization" for k, _ in scope.get("headers", [])):
            return
        for method, template, pattern in self.patterns:
            if method == scope["method"] and pattern.match(scope["path"]):
                CALLED_ROUTES.add((method, template))
                return


class Api:
    """An HTTP client on the app; ``as_`` names the demo user whose token to send (None: no token)."""

    def __init__(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        self.client = client
        self.tokens = tokens

    def _headers(self, as_: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if as_ is not None:
            out["Authorization"] = f"Bearer {self.tokens(as_)}"
        return out

    async def request(
        self,
        method: str,
        path: str,
        *,
        as_: str | None = "counsellor.erbil",
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        return await self.client.request(method, path, headers=self._headers(as_, headers), **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def etag(self, path: str) -> str:
        response = await self.get(path)
        assert response.status_code == 200, response.text
        return response.headers["ETag"]


@contextlib.asynccontextmanager
async def running_app(settings: RegistrySettings, tokens: Tokens) -> AsyncIterator[tuple[FastAPI, Api]]:
    """The registry in process, lifespan included, behind an ASGI client."""
    app = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=RouteRecorder(app)), base_url="http://registry.test"
        ) as client,
    ):
        yield app, Api(client, tokens)
