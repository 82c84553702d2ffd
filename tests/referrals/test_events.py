"""Through real NATS: the replica follows the REGISTRY stream; REFERRALS events carry no personal data."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import nats
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from services.referrals.app import create_app
from services.referrals.clock import SettableClock
from services.referrals.db import outbox
from services.referrals.replica.models import ReplicaService
from shared.contracts import referrals as contracts
from shared.contracts import registry
from shared.messaging import StreamSpec, ensure_stream
from shared.testing import RunningServers
from tests.referrals.conftest import Harness, settings_for
from tests.referrals.world import ETTC, RWANGA, Api, Directory, case_body, grant, service_event

REGISTRY_SPEC = StreamSpec(registry.STREAM, registry.SUBJECTS, last_per_subject=True)


async def eventually(check, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
async def live(
    referrals_db: str, servers: RunningServers, idp: str, tokens: dict[str, str]
) -> AsyncIterator[Harness]:
    """The app with its outbox relay, registry consumer and expiry task running."""
    nc = await nats.connect(servers.nats_url)
    js = nc.jetstream()
    await ensure_stream(js, REGISTRY_SPEC)
    clock = SettableClock()
    app = create_app(
        settings_for(referrals_db, servers, idp, run_workers=True, run_expiry=True, expiry_interval_s=0.2),
        clock=clock,
    )
    try:
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
            transport = httpx.ASGITransport(manager.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://referrals") as client:
                harness = Harness(app, Api(client, tokens), clock, Directory(), referrals_db)
                harness.js = js  # type: ignore[attr-defined]
                yield harness
    finally:
        with contextlib.suppress(Exception):
            await js.delete_stream(contracts.STREAM)
        await nc.close()


async def publish_registry(js, event) -> None:  # type: ignore[no-untyped-def]
    subject = event.payload().subject(event.subject)
    await js.publish(subject, event.to_json(), headers={"Nats-Msg-Id": event.id})


async def test_replica_follows_registry_events_and_keeps_the_newest_version(live: Harness) -> None:
    js, d = live.js, live.directory  # type: ignore[attr-defined]
    for event in d.events():
        await publish_registry(js, event)
    sessions = live.app.state.sessionmaker

    async def has(service_id: uuid.UUID, version: int) -> bool:
        async with sessions() as s:
            row = await s.get(ReplicaService, service_id)
            return row is not None and row.version == version

    await eventually(lambda: has(d.fast, 1))
    # A newer version (deactivation) applies; an older one replayed afterwards changes nothing.
    await publish_registry(
        js, service_event(d.psychosocial, RWANGA, codes=["psychosocial"], version=3, active=False)
    )
    await eventually(lambda: has(d.psychosocial, 3))
    await publish_registry(js, service_event(d.psychosocial, RWANGA, codes=["psychosocial"], version=2))
    await asyncio.sleep(0.5)
    async with sessions() as s:
        row = await s.get_one(ReplicaService, d.psychosocial)
        assert row.version == 3 and row.active is False
    api = live.api
    case = await api.open_case()
    await api.consent(case["id"], grant(["needs"], orgs=[RWANGA]))
    assert (await api.refer(case["id"], d.psychosocial, ["needs"])).status_code == 422


async def test_no_personal_data_in_any_published_event(live: Harness) -> None:
    js, d, api = live.js, live.directory, live.api  # type: ignore[attr-defined]
    for event in d.events():
        await publish_registry(js, event)
    sessions = live.app.state.sessionmaker

    async def replica_ready() -> bool:
        async with sessions() as s:
            return (await s.get(ReplicaService, d.fast)) is not None and (
                await s.get(ReplicaService, d.housing)
            ) is not None

    await eventually(replica_ready)
    tag = uuid.uuid4().hex[:10].upper()
    markers = {
        f"{m}{tag}" for m in ("Fakename", "Testsson", "+964750", "Invented street ", "DOC", "vuln", "notes")
    }
    markers |= {"1990-02-03", f"decline{tag}", f"override{tag}", f"needs{tag}"}
    case = (await api.post("counsellor.erbil", "/cases", case_body(tag))).json()
    twin = (await api.post("counsellor.baghdad", "/cases", case_body(tag))).json()  # flags a duplicate
    await api.client.put(
        f"/v1/cases/{case['id']}/needs",
        json={"psychosocial": {"level": 3, "needs": ["counselling"], "notes": f"needs{tag}"}},
        headers=api.h("counsellor.erbil"),
    )
    c = await api.consent(
        case["id"], grant(["identity_contact", "needs", "vulnerabilities", "documents"], orgs=[RWANGA, ETTC])
    )
    r1 = (await api.refer(case["id"], d.psychosocial, ["identity_contact", "vulnerabilities"])).json()
    for action, body in [("accept", None), ("start", None), ("complete", {"outcome": "delivered"})]:
        assert (
            await api.post("caseworker.rwanga", f"/referrals/{r1['id']}/{action}", body)
        ).status_code == 200
    await api.post(
        "counsellor.erbil",
        f"/referrals/{r1['id']}/feedback",
        {"delivered": True, "quality": 5, "wait_days": 2},
    )
    r2 = (await api.refer(case["id"], d.livelihood, ["documents"])).json()
    await api.post(
        "caseworker.ettc",
        f"/referrals/{r2['id']}/decline",
        {"reason": "other", "reason_text": f"decline{tag}"},
    )
    r3 = (await api.refer(case["id"], d.fast, ["needs"])).json()
    r4 = (
        await api.refer(
            case["id"],
            d.housing,
            ["needs"],
            override={"legal_basis": "vital_interest", "reason": f"override{tag} urgent"},
        )
    ).json()
    await api.post("counsellor.erbil", f"/referrals/{r4['id']}/revoke")
    await api.post(
        "counsellor.erbil",
        f"/cases/{case['id']}/follow-ups",
        {"timepoint": "baseline", "answers": {"distress": 1, "income_sufficient": 3}},
    )
    flags = (await api.get("counsellor.erbil", "/duplicates")).json()
    await api.post("counsellor.erbil", f"/duplicates/{flags[0]['id']}/dismiss")
    live.clock.advance(timedelta_hours(25))  # r3 (48 h): past half-time, one day left
    await eventually(lambda: reminded(live, r3["id"]))
    live.clock.advance(timedelta_hours(24))  # and now past its deadline
    await eventually(lambda: status_is(api, r3["id"], "expired"))
    r5 = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    await api.post("counsellor.erbil", f"/cases/{case['id']}/consent/withdrawals", {"consent_id": c["id"]})
    assert (await api.get("counsellor.erbil", f"/referrals/{r5['id']}")).json()["status"] == "revoked"
    assert (await api.post("counsellor.baghdad", f"/cases/{twin['id']}/close")).status_code == 200
    await api.post("counsellor.erbil", f"/cases/{case['id']}/transfers", {"to_org_id": str(ETTC)})
    assert (await api.post("dpo.noraq", f"/rights/cases/{twin['id']}/erasure")).status_code == 200

    async def all_published() -> bool:
        async with sessions() as s:
            left = await s.execute(
                sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
            return left.scalar_one() == 0

    await eventually(all_published)
    async with sessions() as s:
        ids = {str(i) for i in (await s.execute(sa.select(outbox.c.id))).scalars()}
    info = await js.stream_info(contracts.STREAM)
    seen_types: set[str] = set()
    found = 0
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(contracts.STREAM, seq)
        text = msg.data.decode()
        for marker in markers:
            assert marker not in text, f"personal data {marker!r} in {msg.subject}"
        if msg.headers and msg.headers.get("Nats-Msg-Id") in ids:
            found += 1
            import json

            seen_types.add(json.loads(text)["type"])
    assert found == len(ids)
    expected = {
        "org.hawkari.case.opened.v1",
        "org.hawkari.case.closed.v1",
        "org.hawkari.case.erased.v1",
        "org.hawkari.consent.recorded.v1",
        "org.hawkari.consent.withdrawn.v1",
        "org.hawkari.referral.sent.v1",
        "org.hawkari.referral.accepted.v1",
        "org.hawkari.referral.declined.v1",
        "org.hawkari.referral.started.v1",
        "org.hawkari.referral.completed.v1",
        "org.hawkari.referral.revoked.v1",
        "org.hawkari.referral.expired.v1",
        "org.hawkari.referral.reminder_due.v1",
        "org.hawkari.referral.feedback_recorded.v1",
        "org.hawkari.followup.recorded.v1",
        "org.hawkari.needs.assessed.v1",
        "org.hawkari.duplicate.flagged.v1",
        "org.hawkari.duplicate.resolved.v1",
    }
    assert expected <= seen_types, expected - seen_types


def timedelta_hours(hours: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(hours=hours)


async def status_is(api: Api, referral_id: str, status: str) -> bool:
    return bool((await api.get("counsellor.erbil", f"/referrals/{referral_id}")).json()["status"] == status)


async def reminded(harness: Harness, referral_id: str) -> bool:
    from services.referrals.referrals.models import Referral

    async with harness.app.state.sessionmaker() as s:
        ref = await s.get_one(Referral, uuid.UUID(referral_id))
        return ref.half_reminder_at is not None and ref.last_day_reminder_at is not None
