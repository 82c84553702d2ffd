"""Fixtures: a migrated template database, the app served by uvicorn in the test's loop, and a
publisher playing the registry and referrals services on streams and subjects of the test's own."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from nats.js import JetStreamContext

from deploy.devidp.testing import issuer_of, password_token
from services.coordination.app import create_app
from services.coordination.settings import CoordinationSettings
from shared.contracts import referrals as rc
from shared.contracts import registry as reg
from shared.events import CloudEvent, make_event
from shared.events.contracts import EventContract
from shared.messaging import StreamSpec, ensure_stream
from shared.migrations import upgrade
from shared.testing import RunningServers, eventually

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "coordination" / "migrations"
USERS = ("funder.se", "funder.no", "steering.noraq", "counsellor.erbil", "caseworker.rwanga")


def org_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:" + slug)


def tid(kind: str, slug: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:test:coordination:{kind}:{slug}")


FUNDER_SE, FUNDER_NO = org_id("funder-se"), org_id("funder-no")
RWANGA, ETTC, MRC_ERBIL = org_id("rwanga"), org_id("ettc"), org_id("mrc-erbil")


@pytest.fixture(scope="session")
async def coordination_template(servers: RunningServers) -> str:
    url = await servers.create_database("coord_tpl")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    return url.rsplit("/", 1)[1]


@pytest.fixture
async def coordination_db(servers: RunningServers, coordination_template: str) -> AsyncIterator[str]:
    url = await servers.create_database("coord", template=coordination_template)
    yield url
    await servers.drop_database(url)


@pytest.fixture(scope="session")
async def tokens(idp_url: str) -> dict[str, str]:
    return {u: await password_token(idp_url, u) for u in USERS}


class Publisher:
    """Plays the producers: contract events in their CloudEvents envelope, with a chosen time."""

    def __init__(self, js: JetStreamContext, prefix: str) -> None:
        self.js = js
        self.prefix = prefix
        self.published: list[CloudEvent] = []

    async def publish(
        self, contract: EventContract, entity_id: uuid.UUID | str, at: datetime | None = None
    ) -> CloudEvent:
        event = make_event(contract, subject=str(entity_id))
        if at is not None:
            event = event.model_copy(update={"time": at.isoformat().replace("+00:00", "Z")})
        await self.js.publish(
            self.prefix + contract.subject(str(entity_id)), event.to_json(), headers={"Nats-Msg-Id": event.id}
        )
        self.published.append(event)
        return event


def text(en: str) -> reg.Translations:
    return reg.Translations(en=en)


NOW = datetime(2025, 6, 1, tzinfo=UTC)


def organization(
    oid: uuid.UUID,
    name: str,
    kind: str = "ngo",
    country: str | None = None,
    version: int = 1,
    active: bool = True,
) -> reg.OrganizationUpserted:
    return reg.OrganizationUpserted(
        version=version,
        active=active,
        updated_at=NOW,
        organization_id=oid,
        kind=kind,
        name=text(name),
        description=text(""),
        country_code=country,
    )


def term(code: str, dimension: str) -> reg.TaxonomyTermUpserted:
    return reg.TaxonomyTermUpserted(
        version=1,
        active=True,
        updated_at=NOW,
        taxonomy_term_id=tid("term", code),
        code=code,
        name=text(code.title()),
        description=text(""),
        dimension=dimension,
    )


def service(
    slug: str,
    org: uuid.UUID,
    terms: list[str],
    govs: list[str],
    *,
    open_places: int | None = None,
    version: int = 1,
    active: bool = True,
    location_ids: list[uuid.UUID] | None = None,
) -> reg.ServiceUpserted | reg.ServiceDeactivated:
    cls = reg.ServiceUpserted if active else reg.ServiceDeactivated
    return cls(
        version=version,
        active=active,
        updated_at=NOW,
        service_id=tid("service", slug),
        organization_id=org,
        status="active" if active else "inactive",
        name=text(slug),
        description=text(""),
        application_process=text(""),
        fees_description=text(""),
        languages=["ar"],
        required_documents=[],
        accepts_referrals=True,
        referral_response_hours=72,
        capacity=reg.Capacity(open_places=open_places),
        taxonomy_term_codes=terms,
        location_ids=location_ids or [],
        service_areas=[reg.ServiceAreaState(governorate_code=g) for g in govs],
    )


def location(slug: str, org: uuid.UUID, gov: str) -> reg.LocationUpserted:
    return reg.LocationUpserted(
        version=1,
        active=True,
        updated_at=NOW,
        location_id=tid("location", slug),
        organization_id=org,
        location_type="physical",
        name=text(slug),
        governorate_code=gov,
    )


def programme(
    slug: str,
    funders: list[str],
    services: list[str],
    *,
    starts: date = date(2024, 1, 1),
    ends: date | None = date(2026, 12, 31),
    target_group: str = "all_eu_returnees",
    return_types: list[str] | None = None,
    implementers: list[uuid.UUID] | None = None,
    version: int = 1,
) -> reg.ProgrammeUpserted:
    return reg.ProgrammeUpserted(
        version=version,
        active=True,
        updated_at=NOW,
        programme_id=tid("programme", slug),
        name=text(slug),
        description=text(""),
        funder_countries=funders,
        funding_instruments=["oda"],
        thematic_areas=["return_reintegration"],
        target_group=target_group,
        eligible_return_types=return_types or ["voluntary_assisted", "forced"],
        starts_on=starts,
        ends_on=ends,
        implementing_organization_ids=implementers or [],
        service_ids=[tid("service", s) for s in services],
    )


REFERRAL_CLASSES: dict[str, type[rc.ReferralEvent]] = {
    "sent": rc.ReferralSent,
    "accepted": rc.ReferralAccepted,
    "declined": rc.ReferralDeclined,
    "started": rc.ReferralStarted,
    "completed": rc.ReferralCompleted,
    "closed": rc.ReferralClosed,
    "revoked": rc.ReferralRevoked,
    "expired": rc.ReferralExpired,
}


@dataclass
class Ref:
    """What a referral event says, for building it and for the tests' own expectations."""

    stage: str
    governorate: str
    term: str
    programme: str  # slug
    funders: list[str]
    provider: uuid.UUID
    return_type: str
    month: str  # YYYY-MM
    reason: str = ""
    gender: str = "male"
    age_band: str = "25-34"
    case_id: uuid.UUID = field(default_factory=uuid.uuid4)
    referral_id: uuid.UUID = field(default_factory=uuid.uuid4)
    # Hours from sent to this event (sets sent_at), and cash kinds the case already gets elsewhere.
    hours_since_sent: float | None = None
    cash_overlap_kinds: list[str] = field(default_factory=list)

    def dims(self) -> rc.Dimensions:
        return rc.Dimensions(
            owner_org_id=MRC_ERBIL,
            governorate_code=self.governorate,
            return_type=self.return_type,
            gender=self.gender,
            age_band=self.age_band,
            taxonomy_term_code=self.term,
            programme_id=tid("programme", self.programme),
            provider_org_id=self.provider,
            funder_countries=self.funders,
        )

    def contract(self) -> rc.ReferralEvent:
        cls = REFERRAL_CLASSES[self.stage]
        extra: dict[str, Any] = {}
        if cls is rc.ReferralSent:
            extra = {"legal_basis": "consent", "capacity_warning": False}
        elif cls is rc.ReferralCompleted:
            extra = {"outcome": self.reason or "delivered"}
        elif cls in (rc.ReferralDeclined, rc.ReferralClosed, rc.ReferralRevoked):
            extra = {"reason": self.reason or "other"}
        if self.cash_overlap_kinds:
            extra["cash_overlap_kinds"] = self.cash_overlap_kinds
        if self.hours_since_sent is not None:
            sent = self.at() - timedelta(hours=self.hours_since_sent)
            extra["sent_at"] = sent.isoformat().replace("+00:00", "Z")
        return cls(
            case_id=self.case_id,
            dimensions=self.dims(),
            referral_id=self.referral_id,
            service_id=tid("service", "x"),
            status=self.stage,
            data_categories=["needs"],
            **extra,
        )

    def at(self) -> datetime:
        y, m = self.month.split("-")
        return datetime(int(y), int(m), 15, 12, tzinfo=UTC)


def referrals(n: int, **kw: object) -> list[Ref]:
    """n referral events in Erbil's cash grants (se-cash, Rwanga), unless ``kw`` says otherwise."""
    base: dict[str, object] = {
        "stage": "sent",
        "governorate": "IQ-AR",
        "term": "cash-grant",
        "programme": "se-cash",
        "funders": ["SE"],
        "provider": RWANGA,
        "return_type": "voluntary_assisted",
        "month": "2025-03",
    }
    return [Ref(**{**base, **kw}) for _ in range(n)]  # type: ignore[arg-type]


@dataclass
class Harness:
    app: FastAPI
    http: httpx.AsyncClient
    pub: Publisher
    tokens: dict[str, str]
    settings: CoordinationSettings

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def get(self, user: str, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(
            path, headers=self.auth(user), params={k: v for k, v in params.items() if v is not None}
        )

    async def json(self, path: str, user: str = "steering.noraq", **params: Any) -> Any:
        r = await self.get(user, path, **params)
        assert r.status_code == 200, r.text
        return r.json()

    async def applied(self) -> int:
        async with self.app.state.sessionmaker() as s:
            return int(await s.scalar(sa.text("SELECT count(*) FROM inbox_event")) or 0)

    async def settle(self) -> None:
        """Wait until both durable consumers have nothing pending or unacknowledged."""
        js = self.pub.js
        pairs = (
            (self.settings.registry_stream, self.settings.registry_consumer),
            (self.settings.referrals_stream, self.settings.referrals_consumer),
        )

        async def done() -> bool:
            for stream, durable in pairs:
                try:
                    info = await js.consumer_info(stream, durable)
                except Exception:
                    return False
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        await eventually(done, timeout=90)  # generous: the CI box is shared

    async def refs(self, refs: list[Ref]) -> None:
        for r in refs:
            await self.pub.publish(r.contract(), r.case_id, at=r.at())
        await self.settle()

    async def directory(self, *contracts: EventContract) -> None:
        for c in contracts:
            entity = next(
                getattr(c, f)
                for f in ("service_id", "location_id", "programme_id", "taxonomy_term_id", "organization_id")
                if hasattr(c, f)
            )
            await self.pub.publish(c, entity)
        await self.settle()


async def make_followed_streams(js: JetStreamContext, settings: CoordinationSettings) -> None:
    """The tests play the producers: they make the streams as registry and referrals do."""
    await ensure_stream(js, StreamSpec(settings.referrals_stream, settings.subjects(rc.SUBJECTS)))
    await ensure_stream(
        js, StreamSpec(settings.registry_stream, settings.subjects(reg.SUBJECTS), last_per_subject=True)
    )


def make_settings(
    database_url: str, servers: RunningServers, idp_url: str, **overrides: Any
) -> CoordinationSettings:
    tag = uuid.uuid4().hex[:8]
    return CoordinationSettings(
        **{
            "environment": "test",
            "database_url": database_url,
            "nats_url": servers.nats_url,
            "oidc_issuer": issuer_of(idp_url),
            "referrals_stream": f"CO_REF_{tag}",
            "registry_stream": f"CO_REG_{tag}",
            "subject_prefix": f"c{tag}.",
            "referrals_consumer": f"co-ref-{tag}",
            "registry_consumer": f"co-reg-{tag}",
            "snapshot_max_age_s": 0,
            "snapshot_max_stale_s": 0,
            **overrides,
        }
    )


@contextlib.asynccontextmanager
async def serve(settings: CoordinationSettings, tokens: dict[str, str]) -> AsyncIterator[Harness]:
    app = create_app(settings)
    nc = await nats.connect(settings.nats_url)
    await make_followed_streams(nc.jetstream(), settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=20
        ) as http:
            yield Harness(app, http, Publisher(nc.jetstream(), settings.subject_prefix), tokens, settings)
    finally:
        server.should_exit = True
        await task
        sock.close()
        js = nc.jetstream()
        for stream in (settings.referrals_stream, settings.registry_stream):
            with contextlib.suppress(Exception):
                await js.delete_stream(stream)
        await nc.close()


@pytest.fixture
async def harness(
    coordination_db: str, servers: RunningServers, idp_url: str, tokens: dict[str, str]
) -> AsyncIterator[Harness]:
    async with serve(make_settings(coordination_db, servers, idp_url), tokens) as h:
        yield h


# --- a small NORAQ-like directory -------------------------------------------------------------------

TERMS = [
    term("cash-grant", "economic"),
    term("job-placement", "economic"),
    term("housing", "social"),
    term("psychosocial-counselling", "psychosocial"),
]


def demo_directory() -> list[EventContract]:
    return [
        organization(FUNDER_SE, "Sweden", "funder", "SE"),
        organization(FUNDER_NO, "Norway", "funder", "NO"),
        organization(RWANGA, "Rwanga Foundation"),
        organization(ETTC, "ETTC"),
        organization(MRC_ERBIL, "MRC Erbil", "migrant_resource_centre"),
        location("mrc-erbil", MRC_ERBIL, "IQ-AR"),
        *TERMS,
        service("rwanga-cash", RWANGA, ["cash-grant", "job-placement"], ["IQ-AR", "IQ-DA"], open_places=4),
        service("ettc-cash", ETTC, ["cash-grant"], ["IQ-AR", "IQ-BG"], open_places=10),
        service("rwanga-psy", RWANGA, ["psychosocial-counselling"], ["IQ-AR"], open_places=2),
        service(
            "mrc-erbil-counselling", MRC_ERBIL, ["housing"], [], location_ids=[tid("location", "mrc-erbil")]
        ),
        programme("se-cash", ["SE"], ["rwanga-cash"], starts=date(2024, 6, 1), ends=date(2026, 5, 31)),
        programme("no-cash", ["NO"], ["ettc-cash"], starts=date(2025, 1, 1), ends=None),
        programme("se-psy", ["SE"], ["rwanga-psy"], implementers=[MRC_ERBIL]),
        programme(
            "no-mrc", ["NO"], ["mrc-erbil-counselling"], starts=date(2024, 6, 1), implementers=[MRC_ERBIL]
        ),
    ]
