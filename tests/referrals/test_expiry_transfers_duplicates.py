"""Reminders and expiry with a controllable clock; transfers; possible duplicates."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from services.referrals.db import outbox
from tests.referrals.conftest import Harness
from tests.referrals.world import BAGHDAD, ERBIL, ETTC, RWANGA, grant


async def _events(harness: Harness, type_suffix: str) -> list[dict]:  # type: ignore[type-arg]
    async with harness.app.state.sessionmaker() as session:
        rows = await session.execute(
            sa.select(outbox.c.envelope).where(outbox.c.type.like(f"%{type_suffix}%"))
        )
        return [r[0] for r in rows]


async def test_reminders_at_half_time_and_one_day_before_then_expiry(harness: Harness) -> None:
    api, d, clock = harness.api, harness.directory, harness.clock
    expiry = harness.app.state.expiry
    case = await api.open_case()
    await api.consent(case["id"], grant(["needs"], orgs=[RWANGA, ETTC]))
    week = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()  # 168 h
    short = (await api.refer(case["id"], d.fast, ["needs"])).json()  # 48 h
    answered = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    await api.post("caseworker.rwanga", f"/referrals/{answered['id']}/accept")
    assert await expiry.run_once() == {"expired": 0, "half_time": 0, "one_day_left": 0}
    clock.advance(timedelta(hours=25))  # the 48 h one is past half-time and has a day left
    assert await expiry.run_once() == {"expired": 0, "half_time": 1, "one_day_left": 1}
    assert await expiry.run_once() == {"expired": 0, "half_time": 0, "one_day_left": 0}  # once each
    clock.advance(timedelta(hours=24))  # 49 h: the short one expires; the week one is not half-way
    assert await expiry.run_once() == {"expired": 1, "half_time": 0, "one_day_left": 0}
    expired = (await api.get("counsellor.erbil", f"/referrals/{short['id']}")).json()
    assert expired["status"] == "expired"
    assert expired["suggestions"] == []  # no other "medical" service in the directory
    clock.advance(timedelta(hours=36))  # 85 h
    assert await expiry.run_once() == {"expired": 0, "half_time": 1, "one_day_left": 0}
    clock.advance(timedelta(hours=60))  # 145 h: one day left
    assert await expiry.run_once() == {"expired": 0, "half_time": 0, "one_day_left": 1}
    clock.advance(timedelta(hours=24))  # 169 h
    assert await expiry.run_once() == {"expired": 1, "half_time": 0, "one_day_left": 0}
    assert (await api.get("counsellor.erbil", f"/referrals/{week['id']}")).json()["status"] == "expired"
    assert (await api.get("counsellor.erbil", f"/referrals/{answered['id']}")).json()["status"] == "accepted"
    reminders = await _events(harness, "reminder_due")
    assert sorted(e["data"]["reminder"] for e in reminders) == [
        "half_time",
        "half_time",
        "one_day_left",
        "one_day_left",
    ]
    assert len(await _events(harness, "referral.expired")) == 2
    # An expired referral cannot be accepted any more.
    late = await api.post("caseworker.rwanga", f"/referrals/{week['id']}/accept")
    assert late.status_code == 409


async def test_transfer_request_accept_and_decline(harness: Harness) -> None:
    api = harness.api
    case = await api.open_case(user="counsellor.baghdad")
    unknown = await api.post(
        "counsellor.baghdad",
        f"/cases/{case['id']}/transfers",
        {"to_org_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["pointer"] == "/to_org_id"
    t = await api.post("counsellor.baghdad", f"/cases/{case['id']}/transfers", {"to_org_id": str(ERBIL)})
    assert t.status_code == 201 and t.json()["status"] == "requested"
    dup = await api.post("counsellor.baghdad", f"/cases/{case['id']}/transfers", {"to_org_id": str(ERBIL)})
    assert dup.status_code == 409
    assert (await api.get("counsellor.erbil", f"/cases/{case['id']}")).status_code == 404
    assert (await api.post("counsellor.baghdad", f"/transfers/{t.json()['id']}/accept")).status_code == 404
    incoming = (await api.get("counsellor.erbil", "/transfers")).json()
    assert [x["id"] for x in incoming] == [t.json()["id"]]
    accepted = await api.post("counsellor.erbil", f"/transfers/{t.json()['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    moved = (await api.get("counsellor.erbil", f"/cases/{case['id']}")).json()
    assert moved["owner_org_id"] == str(ERBIL) and moved["counsellor_username"] == "counsellor.erbil"
    assert (await api.get("counsellor.baghdad", f"/cases/{case['id']}")).status_code == 404
    assert (await api.post("counsellor.erbil", f"/transfers/{t.json()['id']}/decline")).status_code == 409
    back = await api.post("counsellor.erbil", f"/cases/{case['id']}/transfers", {"to_org_id": str(BAGHDAD)})
    declined = await api.post("counsellor.baghdad", f"/transfers/{back.json()['id']}/decline")
    assert declined.json()["status"] == "declined"
    assert (await api.get("counsellor.erbil", f"/cases/{case['id']}")).json()["owner_org_id"] == str(ERBIL)
    events = await _events(harness, "case.transferred")
    assert len(events) == 1 and events[0]["data"]["to_org_id"] == str(ERBIL)


async def test_possible_duplicates_are_flagged_never_merged_and_decisions_audited(harness: Harness) -> None:
    api = harness.api
    first = await api.open_case(marker="D1")
    # Same document number written differently, different name: a document match.
    body_doc = {
        "identity_contact": {"given_name": "Other", "date_of_birth": "1980-01-01"},
        "documents": {"document_number": "doc-d1"},
    }
    second = await api.open_case(user="counsellor.baghdad")
    put = await api.client.put(
        f"/v1/cases/{second['id']}/personal-data", json=body_doc, headers=api.h("counsellor.baghdad")
    )
    assert put.status_code == 200
    # Same name (other order, other case, accents) and date of birth: a name + DOB match.
    body_name = {
        "identity_contact": {
            "given_name": "TESTSSOND1",
            "family_name": "Fákenamed1",
            "date_of_birth": "1990-02-03",
        }
    }
    third = await api.open_case()
    await api.client.put(
        f"/v1/cases/{third['id']}/personal-data", json=body_name, headers=api.h("counsellor.erbil")
    )
    unrelated = await api.open_case(marker="D2")
    flags = (await api.get("counsellor.erbil", "/duplicates")).json()
    assert sorted(f["match"] for f in flags) == ["document", "name_dob"]
    doc_flag = next(f for f in flags if f["match"] == "document")
    assert doc_flag["own_cases"] == [{"id": first["id"], "reference": first["reference"]}]
    assert doc_flag["other_organizations"] == [str(BAGHDAD)]
    assert all(unrelated["id"] not in str(f) for f in flags)
    # Baghdad sees the flag too, without Erbil's case id.
    theirs = (await api.get("counsellor.baghdad", "/duplicates")).json()
    assert len(theirs) == 1 and first["id"] not in str(theirs)
    dismissed = await api.post("counsellor.baghdad", f"/duplicates/{doc_flag['id']}/dismiss")
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert (await api.post("counsellor.erbil", f"/duplicates/{doc_flag['id']}/confirm")).status_code == 409
    name_flag = next(f for f in flags if f["match"] == "name_dob")
    assert (
        await api.post("counsellor.sulaymaniyah", f"/duplicates/{name_flag['id']}/confirm")
    ).status_code == 404
    assert (await api.post("counsellor.erbil", f"/duplicates/{name_flag['id']}/confirm")).json()[
        "status"
    ] == "confirmed"
    # Both cases still exist on their own: nothing was merged.
    assert (await api.get("counsellor.erbil", f"/cases/{third['id']}")).status_code == 200
    assert (await api.get("counsellor.erbil", f"/cases/{first['id']}")).status_code == 200
    report = (await api.get("dpo.noraq", f"/rights/cases/{first['id']}/access-report")).json()
    actions = [e["action"] for e in report["audit"]]
    assert "duplicate.confirmed" in actions or "duplicate.flagged" in actions
    assert len(await _events(harness, "duplicate.flagged")) == 2
    assert len(await _events(harness, "duplicate.resolved")) == 2
