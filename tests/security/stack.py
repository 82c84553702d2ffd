"""The services of Hawkari served for the security tests: each on uvicorn in the test's event loop
(real HTTP on 127.0.0.1, so streams stream and headers are what a client sees), on a database of
its own copied from a migrated template, against the session's real PostgreSQL and NATS and the
session's development IdP. Tokens are real: password grants of the demo users, or signed with the
realm's own key where a test needs a token the IdP would not give today (expired, or a user the
demo file lacks)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import make_url

from deploy.devidp.testing import KEY_FILE_NAME, issuer_of
from shared.testing import RunningServers
from tests.registry.harness import Tokens as PasswordTokens

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "referrals", "notifications", "coordination")

# The demo user standing for each realm role in the tests ("own organization" = this user's).
ROLE_USERS = {
    "counsellor": "counsellor.erbil",
    "provider_caseworker": "caseworker.rwanga",
    "provider_admin": "admin.rwanga",
    "funder": "funder.se",
    "steering_admin": "steering.noraq",
    "platform_admin": "admin.platform",
    "data_protection_officer": "dpo.noraq",
}
ROLES = tuple(ROLE_USERS)


def demo_org(slug: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:" + slug)


class Tokens(PasswordTokens):
    """Demo users' access tokens by password grant (renewed at half their life), and tokens signed
    with the realm's key (the IdP's key file) for what the demo users cannot show."""

    def __init__(self, idp_url: str, key_dir: Path) -> None:
        super().__init__(idp_url)
        self.key = RSAKey.import_key(json.loads((key_dir / KEY_FILE_NAME).read_text()))

    def claims(self, username: str) -> dict[str, Any]:
        return dict(jwt.decode(self(username), self.key).claims)

    def signed(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}, claims, self.key)

    def expired(self, username: str = "counsellor.erbil") -> str:
        """The user's real token, expired two minutes ago (beyond the verifiers' 30 s leeway)."""
        now = int(time.time())
        return self.signed(self.claims(username) | {"iat": now - 420, "exp": now - 120})

    def as_other_member(self, username: str, new_username: str, org_id: uuid.UUID) -> str:
        """A token like ``username``'s for a colleague in another organization (same roles)."""
        subject = str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:hawkari:test-user:{new_username}"))
        claims = self.claims(username) | {
            "sub": subject,
            "preferred_username": new_username,
            "org_id": str(org_id),
            "exp": int(time.time()) + 3600,
        }
        claims.pop("email", None)
        return self.signed(claims)


SETTINGS = {
    "registry": "services.registry.settings:RegistrySettings",
    "referrals": "services.referrals.settings:ReferralsSettings",
    "notifications": "services.notifications.settings:NotificationsSettings",
    "coordination": "services.coordination.settings:CoordinationSettings",
    "portal": "services.portal.settings:PortalSettings",
}


def settings_for(
    name: str, database_url: str, servers: RunningServers, idp_url: str, **overrides: Any
) -> Any:
    module, cls = SETTINGS[name].split(":")
    fields: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "nats_url": servers.nats_url,
        "oidc_issuer": issuer_of(idp_url),
        "log_level": "WARNING",
        **overrides,
    }
    return getattr(importlib.import_module(module), cls)(**fields)


_TEMPLATES: dict[str, str] = {}


async def service_database(servers: RunningServers, name: str) -> str:
    """A fresh database for service ``name``, copied from a template migrated (and, for the
    registry, seeded with the demo directory) once per session."""
    if name not in _TEMPLATES:
        url = await servers.migrated_template(ROOT / "services" / name / "migrations", f"sec_{name}_tpl")
        if name == "registry":
            from services.registry.seed import seed

            await seed(url)
        _TEMPLATES[name] = str(make_url(url).database)
    return await servers.create_database(f"sec_{name}", template=_TEMPLATES[name])


@dataclass
class Running:
    name: str
    app: FastAPI
    url: str
    database_url: str
    http: httpx.AsyncClient


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """``app`` on uvicorn in this event loop, lifespan included, on 127.0.0.1; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if task.done() or time.monotonic() > deadline:
                await task
                raise RuntimeError("the service did not start")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)
        sock.close()


@contextlib.asynccontextmanager
async def running_service(
    name: str,
    servers: RunningServers,
    idp_url: str,
    *,
    database_url: str | None = None,
    app_factory: Callable[[Any], FastAPI] | None = None,
    **overrides: Any,
) -> AsyncIterator[Running]:
    """Service ``name`` on a fresh database (dropped afterwards), background workers off unless
    ``run_workers=True`` is among ``overrides``."""
    own_db = database_url is None
    url = database_url or await service_database(servers, name)
    overrides.setdefault("run_workers", False)
    settings = settings_for(name, url, servers, idp_url, **overrides)
    factory = app_factory or importlib.import_module(f"services.{name}.app").create_app
    app = factory(settings)
    try:
        async with serve(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Running(name, app, base_url, url, http)
    finally:
        if own_db:
            await servers.drop_database(url)


@dataclass
class Stack:
    services: dict[str, Running]
    js: Any  # JetStream context on the streams notifications follows
    subject_prefix: str
    receiver: Receiver

    def __getitem__(self, name: str) -> Running:
        return self.services[name]


class Receiver:
    """A real local HTTP server standing for a partner's webhook endpoint: keeps every POST."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                received.append({"headers": dict(self.headers.items()), "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
