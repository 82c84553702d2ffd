"""What the events carry for the read models: sent time and sender, cash overlap, bundles, needs."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from services.referrals.db import outbox
from services.referrals.replica.consumer import apply_registry_event
from tests.referrals.conftest import Harness
from tests.referrals.world import ETTC, RWANGA, grant, service_event


async def events(harness: Harness, kind: str) -> list[dict[str, Any]]:
    """The data of the outbox events whose type is ``org.hawkari.<kind>.v1``, oldest first."""
    async with harness.app.state.sessionmaker() as session:
        rows = await session.execute(
            sa.select(outbox.c.envelope)
            .where(outbox.c.type == f"org.hawkari.{kind}.v1")
            .order_by(outbox.c.seq)
        )
        return [r[0]["data"] for r in rows]


def subject_of(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


async def test_every_referral_event_carries_when_it_was_sent_and_by_whom(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    counsellor = subject_of(api.tokens["counsellor.erbil"])
    case = await api.open_case()
    await api.consent(case["id"], grant(["needs"], orgs=[RWANGA, ETTC]))
    # A draft sent later: the sender is whoever sent it, the time is when it was sent.
    draft = (await api.refer(case["id"], d.psychosocial, ["needs"], send=False)).json()
    assert draft["status"] == "draft"
    harness.clock.advance(timedelta(minutes=5))
    delivered = (await api.post("counsellor.erbil", f"/referrals/{draft['id']}/send")).json()
    for action, body in [("accept", None), ("start", None), ("complete", {"outcome": "delivered"})]:
        r = await api.post("caseworker.rwanga", f"/referrals/{delivered['id']}/{action}", body)
        assert r.status_code == 200, r.text
    fb = {"delivered": True, "quality": 4, "wait_days": 3}
    assert (
        await api.post("counsellor.erbil", f"/referrals/{delivered['id']}/feedback", fb)
    ).status_code == 200
    declined = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    await api.post("caseworker.rwanga", f"/referrals/{declined['id']}/decline", {"reason": "no_capacity"})
    revoked = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    await api.post("counsellor.erbil", f"/referrals/{revoked['id']}/revoke")
    closed = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    await api.post("caseworker.rwanga", f"/referrals/{closed['id']}/accept")
    await api.post("caseworker.rwanga", f"/referrals/{closed['id']}/close", {"reason": "no_show"})
    expiring = (await api.refer(case["id"], d.fast, ["needs"])).json()  # 48 h
    harness.clock.advance(timedelta(hours=25))
    await harness.app.state.expiry.run_once()  # half time and one day left
    harness.clock.advance(timedelta(hours=24))
    await harness.app.state.expiry.run_once()  # expired

    sent_at = {}
    for r in (delivered, declined, revoked, closed, expiring):
        read = (await api.get("counsellor.erbil", f"/referrals/{r['id']}")).json()
        sent_at[r["id"]] = read["sent_at"]
    kinds = ["sent", "accepted", "declined", "started", "completed", "closed", "revoked", "expired"]
    kinds += ["reminder_due", "feedback_recorded"]
    for kind in kinds:
        found = await events(harness, f"referral.{kind}")
        assert found, kind
        for data in found:
            assert data["referrer_subject"] == counsellor, (kind, data)
            assert data["case_reference"] == case["reference"], kind  # the one the portal shows
            assert data["sent_at"] is not None
            # The same instant as the referral's own sent_at (ISO 8601, parsed to compare).
            assert _instant(data["sent_at"]) == _instant(sent_at[data["referral_id"]]), kind
    # The draft's events: sent five minutes after it was created, not at creation.
    assert _instant(sent_at[delivered["id"]]) - _instant(draft["created_at"]) >= timedelta(minutes=5)


def _instant(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_cash_overlap_kinds_name_cash_the_case_already_gets_from_another_programme(
    harness: Harness,
) -> None:
    api, d = harness.api, harness.directory
    case = await api.open_case()
    await api.consent(case["id"], grant(["needs"], orgs=[RWANGA, ETTC]))
    # Livelihood under the Nordic programme (cash): nothing taken yet, so no overlap.
    first = (await api.refer(case["id"], d.livelihood, ["needs"])).json()
    # A cash grant under the Finnish programme (cash, in kind) while the first is only sent: none.
    early = (await api.refer(case["id"], d.cash_grant, ["needs"])).json()
    assert (await api.post("caseworker.ettc", f"/referrals/{first['id']}/accept")).status_code == 200
    # Once the first is accepted the case receives cash from the Nordic programme: overlap "cash".
    late = (await api.refer(case["id"], d.cash_grant, ["needs"])).json()
    assert (await api.post("caseworker.rwanga", f"/referrals/{early['id']}/accept")).status_code == 200
    sent = {e["referral_id"]: e["cash_overlap_kinds"] for e in await events(harness, "referral.sent")}
    accepted = {e["referral_id"]: e["cash_overlap_kinds"] for e in await events(harness, "referral.accepted")}
    assert sent[first["id"]] == [] and sent[early["id"]] == []
    assert sent[late["id"]] == ["cash"]  # in_kind is not cash, and is not paid by the Nordic one
    assert accepted[first["id"]] == []  # nothing else taken when it was accepted
    assert accepted[early["id"]] == ["cash"]
    # A referral without a programme (no programme funds the service) never overlaps.
    plain = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    assert {e["referral_id"]: e for e in await events(harness, "referral.sent")}[plain["id"]][
        "cash_overlap_kinds"
    ] == []


async def test_follow_ups_carry_the_programmes_and_terms_the_case_is_receiving(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await api.open_case()
    await api.consent(case["id"], grant(["needs"], orgs=[RWANGA, ETTC]))
    livelihood = (await api.refer(case["id"], d.livelihood, ["needs"])).json()
    psycho = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    (await api.refer(case["id"], d.cash_grant, ["needs"])).json()  # only sent: not in the bundle
    declined = (await api.refer(case["id"], d.fast, ["needs"])).json()
    await api.post("caseworker.ettc", f"/referrals/{livelihood['id']}/accept")
    await api.post("caseworker.rwanga", f"/referrals/{psycho['id']}/accept")
    await api.post("caseworker.rwanga", f"/referrals/{psycho['id']}/start")
    await api.post("caseworker.ettc", f"/referrals/{declined['id']}/decline", {"reason": "other"})
    r = await api.post(
        "counsellor.erbil",
        f"/cases/{case['id']}/follow-ups",
        {"timepoint": "baseline", "answers": {"distress": 1, "income_sufficient": 3}},
    )
    assert r.status_code == 201, r.text
    [event] = await events(harness, "followup.recorded")
    assert event["programme_ids"] == [str(d.programme)]
    assert sorted(event["taxonomy_term_codes"]) == ["livelihood", "psychosocial"]


async def test_needs_assessed_names_levels_and_needs_no_service_in_reach_can_meet(harness: Harness) -> None:
    api = harness.api

    async def assess(case: dict[str, Any], levels: dict[str, int]) -> dict[str, Any]:
        body = {dim: {"level": lvl, "needs": ["housing"], "notes": "private"} for dim, lvl in levels.items()}
        r = await api.client.put(
            f"/v1/cases/{case['id']}/needs", json=body, headers=api.h("counsellor.erbil")
        )
        assert r.status_code == 200, r.text
        return (await events(harness, "needs.assessed"))[-1]

    voluntary = await api.open_case()  # Erbil (IQ-AR), voluntary assisted return
    event = await assess(voluntary, {"economic": 2, "social": 1, "psychosocial": 0})
    assert event["levels"] == {"economic": 2, "social": 1, "psychosocial": 0}
    assert event["unmet_dimensions"] == []  # livelihood, housing, psychosocial services all in reach
    assert "housing" not in json.dumps(event) and "private" not in json.dumps(event)
    assert event["dimensions"]["governorate_code"] == "IQ-AR"

    # Every economic service is funded only by programmes for voluntary returns.
    forced = await api.open_case(return_type="forced")
    event = await assess(forced, {"economic": 1, "psychosocial": 3})
    assert event["levels"] == {"economic": 1, "psychosocial": 3}
    assert event["unmet_dimensions"] == ["economic"]

    # The only social service (housing) now serves Duhok alone: a need in Erbil has no service.
    housing = service_event(
        harness.directory.housing, RWANGA, codes=["housing"], open_places=0, areas=["IQ-DA"], version=2
    )
    async with harness.app.state.sessionmaker() as session, session.begin():
        await apply_registry_event(session, housing)
    event = await assess(voluntary, {"social": 2, "psychosocial": 1})
    assert event["unmet_dimensions"] == ["social"]
    duhok = await api.open_case(governorate_code="IQ-DA")
    assert (await assess(duhok, {"social": 2}))["unmet_dimensions"] == []
