"""Registry events: full state through the outbox, one subject per entity, and a replica rebuilt
from nothing but the REGISTRY stream matches the source of truth."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any

import nats
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

import shared.contracts  # noqa: F401 - the typed contracts the replica parses
from services.registry.directory import service as directory
from services.registry.directory.models import Service
from services.registry.eligibility.models import Benefit
from services.registry.eligibility.service import benefit_event
from services.registry.locations import service as locations
from services.registry.locations.models import Location
from services.registry.organizations import service as organizations
from services.registry.organizations.models import Organization
from services.registry.programmes import service as programmes
from services.registry.programmes.models import Programme
from services.registry.settings import RegistrySettings
from services.registry.taxonomy import service as taxonomy
from services.registry.taxonomy.models import TaxonomyTerm
from shared.consumer import Consumer
from shared.contracts.registry import (
    LocationDeactivated,
    LocationUpserted,
    OrganizationDeactivated,
    OrganizationUpserted,
    ProgrammeDeactivated,
    ProgrammeUpserted,
    ServiceDeactivated,
    ServiceUpserted,
    TaxonomyTermDeactivated,
    TaxonomyTermUpserted,
)
from shared.db import create_engine, create_sessionmaker
from shared.messaging import NatsConnection
from shared.testing import RunningServers, eventually
from tests.registry import replica
from tests.registry.demo import (
    CASEWORKER_RWANGA,
    PLATFORM,
    PROVIDER_ADMIN,
    PSYCHOSOCIAL_TERM,
    RWANGA_DUHOK,
    RWANGA_PSYCHOSOCIAL,
    RWANGA_YOUTH,
    SI_COM,
    STEERING,
)
from tests.registry.harness import Api, Tokens, running_app

DEMO_USERS = [
    "counsellor.",
    "caseworker.",
    "admin.rwanga",
    "admin.platform",
    "steering.noraq",
    "dpo.noraq",
    "funder.",
]


async def unpublished(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return int(
                (
                    await conn.execute(
                        sa.text("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")
                    )
                ).scalar_one()
            )
    finally:
        await engine.dispose()


async def stream_messages(nats_url: str, stream: str) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                msg = await js.get_msg(stream, seq)
            except nats.js.errors.NotFoundError:
                continue  # replaced by a later message on its subject
            out.append((msg.subject, json.loads(msg.data), dict(msg.headers or {})))
        return out
    finally:
        await nc.close()


async def make_changes(api: Api) -> dict[str, str]:
    """A little of everything: repeated updates, capacity, deactivations, new entities."""
    path = f"/v1/services/{RWANGA_PSYCHOSOCIAL}"
    r = await api.patch(
        path,
        json={"languages": ["ar", "ckb"]},
        headers={"If-Match": await api.etag(path)},
        as_=PROVIDER_ADMIN,
    )
    r = await api.put(
        f"{path}/capacity",
        json={"open_places": 2},
        headers={"If-Match": r.headers["ETag"]},
        as_=CASEWORKER_RWANGA,
    )
    r = await api.put(
        f"{path}/capacity",
        json={"open_places": 1, "waitlist_length": 3},
        headers={"If-Match": r.headers["ETag"]},
        as_=CASEWORKER_RWANGA,
    )
    assert r.status_code == 200
    youth = f"/v1/services/{RWANGA_YOUTH}"
    assert (
        await api.post(f"{youth}/deactivate", headers={"If-Match": await api.etag(youth)}, as_=PROVIDER_ADMIN)
    ).status_code == 200
    org = await api.post(
        "/v1/organizations",
        as_=PLATFORM,
        json={"kind": "private_company", "name": {"en": "Duhok Bakery Co."}},
    )
    org_path = f"/v1/organizations/{org.json()['id']}"
    assert (
        await api.patch(
            org_path,
            json={"phone": "+964 750 111 2222"},
            headers={"If-Match": org.headers["ETag"]},
            as_=PLATFORM,
        )
    ).status_code == 200
    loc = f"/v1/locations/{RWANGA_DUHOK}"
    assert (
        await api.post(f"{loc}/deactivate", headers={"If-Match": await api.etag(loc)}, as_=PROVIDER_ADMIN)
    ).status_code == 200
    term = f"/v1/taxonomy-terms/{PSYCHOSOCIAL_TERM}"
    assert (
        await api.patch(
            term,
            json={"description": {"en": "MHPSS"}},
            headers={"If-Match": await api.etag(term)},
            as_=STEERING,
        )
    ).status_code == 200
    programme = f"/v1/programmes/{SI_COM}"
    assert (
        await api.patch(
            programme,
            json={"ends_on": "2026-12-31"},
            headers={"If-Match": await api.etag(programme)},
            as_=STEERING,
        )
    ).status_code == 200
    return {"organization": org.json()["id"]}


async def source_of_truth(session: AsyncSession) -> dict[tuple[str, str], dict[str, Any]]:
    """What each entity's current-state event says, built from the registry's own tables."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for org in (await session.execute(sa.select(Organization))).scalars():
        c = organizations.event(org, OrganizationUpserted if org.active else OrganizationDeactivated)
        out[("organization", str(org.id))] = c.model_dump(mode="json")
    for loc in (await session.execute(sa.select(Location))).scalars():
        c = locations.event(loc, LocationUpserted if loc.active else LocationDeactivated)
        out[("location", str(loc.id))] = c.model_dump(mode="json")
    services = list((await session.execute(sa.select(Service))).scalars())
    links = await directory.repository.links(session, [s.id for s in services])
    for svc in services:
        c = directory.event(svc, links[svc.id], ServiceUpserted if svc.active else ServiceDeactivated)
        out[("service", str(svc.id))] = c.model_dump(mode="json")
    plist = list((await session.execute(sa.select(Programme))).scalars())
    plinks = await programmes.repository.links(session, [p.id for p in plist])
    for p in plist:
        c = programmes.event(p, plinks[p.id], ProgrammeUpserted if p.active else ProgrammeDeactivated)
        out[("programme", str(p.id))] = c.model_dump(mode="json")
    for term in (await session.execute(sa.select(TaxonomyTerm))).scalars():
        c = taxonomy.event(term, TaxonomyTermUpserted if term.active else TaxonomyTermDeactivated)
        out[("taxonomy_term", str(term.id))] = c.model_dump(mode="json")
    for benefit in (await session.execute(sa.select(Benefit))).scalars():
        out[("benefit", str(benefit.id))] = benefit_event(benefit).model_dump(mode="json")
    return out


async def test_replaying_the_stream_rebuilds_the_directory(
    settings: RegistrySettings, tokens: Tokens, servers: RunningServers, registry_stream: str
) -> None:
    live = settings.model_copy(update={"run_workers": True, "stream_name": registry_stream})
    async with running_app(live, tokens) as (_, api):
        await make_changes(api)
        await eventually(lambda: _is_zero(unpublished(settings.database_url)), timeout=20)

    messages = await stream_messages(servers.nats_url, registry_stream)
    subjects = [m[0] for m in messages]
    # Last value per subject: one message per (entity, verb), whatever the number of changes.
    assert len(subjects) == len(set(subjects))
    psych = [m for m in messages if m[0] == f"registry.service.upserted.{RWANGA_PSYCHOSOCIAL}"]
    assert len(psych) == 1 and psych[0][1]["data"]["capacity"]["waitlist_length"] == 3
    youth = sorted(m[0] for m in messages if m[0].endswith(str(RWANGA_YOUTH)))
    assert youth == [
        f"registry.service.deactivated.{RWANGA_YOUTH}",
        f"registry.service.upserted.{RWANGA_YOUTH}",
    ]
    for _, envelope, headers in messages:
        assert headers["Nats-Msg-Id"] == envelope["id"]
        assert envelope["specversion"] == "1.0" and envelope["source"] == "/hawkari/registry"
        # No personal data: no staff names (and never a returnee: the registry has none).
        text = json.dumps(envelope["data"], ensure_ascii=False)
        assert "assured_by" not in envelope["data"]
        assert not any(user in text for user in DEMO_USERS), text

    # A fresh replica, fed from the start of the stream by a durable consumer.
    replica_url = await servers.create_database(prefix="replica")
    engine = create_engine(replica_url)
    async with engine.begin() as conn:
        await conn.run_sync(replica.metadata.create_all)
    connection = NatsConnection(servers.nats_url, name="replica-test")
    connection.start()
    consumer = Consumer(
        name="replica-rebuild",
        stream=registry_stream,
        subjects=("registry.>",),
        handler=replica.apply,
        sessionmaker=create_sessionmaker(engine),
        inbox=replica.inbox,
        dead_letter=replica.dead_letter,
        nats=connection,
    )
    consumer.start()
    try:
        await eventually(lambda: _equals(consumer.handled_total, len(messages)), timeout=30)
        async with engine.connect() as conn:
            rows = {(r.entity, r.id): r for r in await conn.execute(sa.select(replica.replica))}
            dead = (
                await conn.execute(sa.select(sa.func.count()).select_from(replica.dead_letter))
            ).scalar_one()
        assert dead == 0
        source_engine = create_engine(settings.database_url, pool_size=1)
        async with create_sessionmaker(source_engine)() as session:
            truth = await source_of_truth(session)
        await source_engine.dispose()
        assert set(rows) == set(truth)
        for key, state in truth.items():
            assert rows[key].state == state, key
            assert (rows[key].version, rows[key].active) == (state["version"], state["active"])
        assert rows[("service", str(RWANGA_YOUTH))].active is False
        assert rows[("location", str(RWANGA_DUHOK))].active is False
    finally:
        await consumer.stop()
        await connection.close()
        await engine.dispose()
        await servers.drop_database(replica_url)


async def test_a_change_and_its_event_commit_together(settings: RegistrySettings, api: Api) -> None:
    engine = create_engine(settings.database_url, pool_size=1)

    async def events_for(entity_id: object) -> list[dict[str, Any]]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT subject, type, envelope FROM outbox_event "
                    "WHERE envelope->>'subject' = :id ORDER BY seq"
                ),
                {"id": str(entity_id)},
            )
            return [dict(r._mapping) for r in rows]

    try:
        before = await events_for(RWANGA_PSYCHOSOCIAL)
        path = f"/v1/services/{RWANGA_PSYCHOSOCIAL}"
        r = await api.put(
            f"{path}/capacity",
            json={"open_places": 9},
            headers={"If-Match": await api.etag(path)},
            as_=PROVIDER_ADMIN,
        )
        after = await events_for(RWANGA_PSYCHOSOCIAL)
        assert len(after) == len(before) + 1
        event = after[-1]
        assert event["subject"] == f"registry.service.upserted.{RWANGA_PSYCHOSOCIAL}"
        assert event["type"] == "org.hawkari.service.upserted.v1"
        assert event["envelope"]["data"]["capacity"]["open_places"] == 9
        assert event["envelope"]["data"]["version"] == r.json()["version"]
        # A refused change writes no event.
        await api.put(
            f"{path}/capacity", json={"open_places": 1}, headers={"If-Match": '"1"'}, as_=PROVIDER_ADMIN
        )
        assert len(await events_for(RWANGA_PSYCHOSOCIAL)) == len(after)
    finally:
        await engine.dispose()


async def _is_zero(value: Awaitable[int]) -> bool:
    return await value == 0


async def _equals(value: int, expected: int) -> bool:
    return value == expected
