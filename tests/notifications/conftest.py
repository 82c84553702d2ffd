"""Fixtures: a migrated template database, the app served by uvicorn in the test's loop (so SSE
streams for real), a real aiosmtpd SMTP server, a real HTTP webhook receiver, and a publisher of
contract events on a JetStream stream and subjects of the test's own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
import uvicorn
from fastapi import FastAPI
from nats.js import JetStreamContext

from deploy.devidp.testing import issuer_of, password_token
from services.notifications.app import create_app
from services.notifications.clock import SettableClock
from services.notifications.settings import NotificationsSettings
from services.notifications.smtp_sink import SmtpSink
from shared.contracts import referrals as rc
from shared.contracts import registry as reg
from shared.events import make_event
from shared.events.contracts import EventContract
from shared.messaging import StreamSpec, ensure_stream
from shared.migrations import upgrade
from shared.processes import free_port
from shared.testing import RunningServers, eventually

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "notifications" / "migrations"


def org_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:" + slug)


ERBIL, RWANGA, ETTC = org_id("mrc-erbil"), org_id("rwanga"), org_id("ettc")
SERVICE_ID = uuid.uuid5(uuid.NAMESPACE_URL, "urn:test:service:jobs")


@pytest.fixture(scope="session")
async def notifications_template(servers: RunningServers) -> str:
    url = await servers.create_database("notif_tpl")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    return url.rsplit("/", 1)[1]


@pytest.fixture
async def notifications_db(servers: RunningServers, notifications_template: str) -> AsyncIterator[str]:
    url = await servers.create_database("notif", template=notifications_template)
    yield url
    await servers.drop_database(url)


@pytest.fixture(scope="session")
async def tokens(idp_url: str) -> dict[str, str]:
    users = (
        "counsellor.erbil",
        "counsellor.baghdad",
        "caseworker.rwanga",
        "admin.rwanga",
        "caseworker.ettc",
        "funder.se",
    )
    return {u: await password_token(idp_url, u) for u in users}


# --- SMTP ------------------------------------------------------------------------------------------


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(tmp_path: Path, smtp_port: int) -> Iterator[SmtpSink]:
    sink = SmtpSink(tmp_path / "mail", port=smtp_port)
    sink.start()
    yield sink
    sink.stop()


# --- webhook receiver ------------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextlib.contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 that records every POST; over TLS with ``tls`` (its URL then
    names ``localhost``, for the certificate check)."""
    rec = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            rec.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            self.send_response(rec.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    if tls is None:
        rec.url = f"http://127.0.0.1:{port}/hooks"
    else:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        rec.url = f"https://localhost:{port}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as rec:
        yield rec


# --- the app -------------------------------------------------------------------------------------


class Publisher:
    def __init__(self, nc: Any, prefix: str) -> None:
        self.js = nc.jetstream()
        self.prefix = prefix

    async def publish(
        self, contract: EventContract, entity_id: str, *, msg_id: str | None = None, **kw: Any
    ) -> Any:
        event = make_event(contract, subject=entity_id, **kw)
        await self.publish_event(contract.subject(entity_id), event, msg_id=msg_id)
        return event

    async def publish_event(self, subject: str, event: Any, *, msg_id: str | None = None) -> None:
        await self.js.publish(
            self.prefix + subject, event.to_json(), headers={"Nats-Msg-Id": msg_id or event.id}
        )


@dataclass
class Harness:
    app: FastAPI
    http: httpx.AsyncClient
    base_url: str
    clock: SettableClock
    pub: Publisher
    tokens: dict[str, str]
    settings: NotificationsSettings

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def get(self, user: str, path: str, **kw: Any) -> httpx.Response:
        return await self.http.get(path, headers=self.auth(user), **kw)

    async def post(self, user: str, path: str, **kw: Any) -> httpx.Response:
        return await self.http.post(path, headers=self.auth(user), **kw)

    async def inbox(self, user: str, **params: Any) -> list[dict[str, Any]]:
        r = await self.get(user, "/v1/inbox", params=params)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    async def wait_inbox(self, user: str, count: int, **params: Any) -> list[dict[str, Any]]:
        async def enough() -> bool:
            return len(await self.inbox(user, **params)) >= count

        await eventually(enough, timeout=10)
        return await self.inbox(user, **params)

    async def tick(self, delta: timedelta = timedelta()) -> None:
        """Move the clock and let the delivery loops run."""
        self.clock.advance(delta)
        self.app.state.deliveries.wake()
        await asyncio.sleep(0.15)

    async def directory(self) -> None:
        """Registry events for the demo organizations and one service of Rwanga."""
        now = datetime.now(UTC)
        for oid, name, email in (
            (ERBIL, "MRC Erbil", "mrc-erbil@org.example"),
            (RWANGA, "Rwanga Foundation", "info@rwanga.example"),
            (ETTC, "ETTC", None),
        ):
            state = reg.OrganizationUpserted(
                version=1,
                active=True,
                updated_at=now,
                organization_id=oid,
                kind="ngo",
                name=reg.Translations(en=name, ar=name + " (ar)", ckb=name + " (ckb)"),
                description=reg.Translations(),
                email=email,
            )
            await self.pub.publish(state, str(oid))
        svc = reg.ServiceUpserted(
            version=1,
            active=True,
            updated_at=now,
            service_id=SERVICE_ID,
            organization_id=RWANGA,
            status="active",
            name=reg.Translations(en="Job counselling", ar="الإرشاد المهني", ckb="ڕاوێژی کار"),
            description=reg.Translations(),
            application_process=reg.Translations(),
            fees_description=reg.Translations(),
            languages=["ar", "ckb"],
            required_documents=[],
            accepts_referrals=True,
            referral_response_hours=72,
            capacity=reg.Capacity(),
            taxonomy_term_codes=[],
            location_ids=[],
            service_areas=[],
        )
        await self.pub.publish(svc, str(SERVICE_ID))

        async def replicated() -> bool:
            from services.notifications.directory.models import ReplicaService

            async with self.app.state.sessionmaker() as s:
                return await s.get(ReplicaService, SERVICE_ID) is not None

        await eventually(replicated, timeout=10)


def dims(provider: uuid.UUID | None = RWANGA, owner: uuid.UUID | None = ERBIL) -> rc.Dimensions:
    return rc.Dimensions(owner_org_id=owner, provider_org_id=provider, governorate_code="IQ-AR")


def referral(cls: type[rc.ReferralEvent], referral_id: uuid.UUID, case_id: uuid.UUID, **extra: Any) -> Any:
    status = {
        rc.ReferralSent: "sent",
        rc.ReferralReminderDue: "sent",
        rc.ReferralAccepted: "accepted",
        rc.ReferralDeclined: "declined",
        rc.ReferralStarted: "started",
        rc.ReferralCompleted: "completed",
        rc.ReferralClosed: "closed",
        rc.ReferralRevoked: "revoked",
        rc.ReferralExpired: "expired",
    }[cls]
    defaults: dict[str, Any] = {
        rc.ReferralSent: {"legal_basis": "consent", "capacity_warning": False},
        rc.ReferralReminderDue: {"reminder": "half_time", "deadline_at": "2030-01-01T00:00:00Z"},
        rc.ReferralDeclined: {"reason": "no_capacity"},
        rc.ReferralCompleted: {"outcome": "delivered"},
        rc.ReferralClosed: {"reason": "other"},
        rc.ReferralRevoked: {"reason": "consent_withdrawn"},
    }.get(cls, {})
    return cls(
        case_id=case_id,
        dimensions=extra.pop("dimensions", dims()),
        referral_id=referral_id,
        service_id=SERVICE_ID,
        status=status,
        data_categories=["contact"],
        **{**defaults, **extra},
    )


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def start_harness(
    database_url: str,
    servers: RunningServers,
    idp_url: str,
    tokens: dict[str, str],
    smtp_port: int,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    tag = uuid.uuid4().hex[:8]
    fields: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "nats_url": servers.nats_url,
        "oidc_issuer": issuer_of(idp_url),
        "referrals_stream": f"NT_REF_{tag}",
        "registry_stream": f"NT_REG_{tag}",
        "subject_prefix": f"t{tag}.",
        "referrals_consumer": f"nt-ref-{tag}",
        "registry_consumer": f"nt-reg-{tag}",
        "smtp_port": smtp_port,
        "worker_interval_s": 0.05,
        "webhook_allow_private": True,
        "webhook_max_consecutive_failures": 3,
        "portal_url": "http://portal.test",
        **overrides,
    }
    settings = NotificationsSettings(**fields)
    clock = SettableClock()
    app = create_app(settings, clock=clock)
    nc = await nats.connect(servers.nats_url)
    await make_followed_streams(nc.jetstream(), settings)
    sock = _free_socket()
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
        await app.state.live.wait_ready()
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            harness = Harness(
                app, http, base_url, clock, Publisher(nc, settings.subject_prefix), tokens, settings
            )
            await harness.directory()
            yield harness
    finally:
        server.should_exit = True
        await task
        sock.close()
        js = nc.jetstream()
        for stream in (settings.referrals_stream, settings.registry_stream):
            with contextlib.suppress(Exception):  # best effort cleanup
                await js.delete_stream(stream)
        await nc.close()


async def make_followed_streams(js: JetStreamContext, settings: NotificationsSettings) -> None:
    """The tests play the producers: they make the streams as registry and referrals do."""
    await ensure_stream(js, StreamSpec(settings.referrals_stream, settings.subjects(rc.SUBJECTS)))
    await ensure_stream(
        js, StreamSpec(settings.registry_stream, settings.subjects(reg.SUBJECTS), last_per_subject=True)
    )


@pytest.fixture
async def harness(
    notifications_db: str,
    servers: RunningServers,
    idp_url: str,
    tokens: dict[str, str],
    smtp: SmtpSink,
    smtp_port: int,
) -> AsyncIterator[Harness]:
    async for h in start_harness(notifications_db, servers, idp_url, tokens, smtp_port):
        yield h


def bodies(sink: SmtpSink) -> list[str]:
    out = []
    for msg in sink.messages:
        for part in msg.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                out.append(part.get_content())
    return out


def as_json(response: httpx.Response) -> Any:
    return json.loads(response.text)
