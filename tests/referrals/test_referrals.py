"""Referral validation against the replica, the lifecycle with its roles, projection and suggestions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.referrals.conftest import Harness
from tests.referrals.world import ETTC, RWANGA, Api, grant

ALL = ["identity_contact", "needs", "vulnerabilities", "documents"]


async def _case_with_consent(api: Api, marker: str = "", **overrides: Any) -> dict[str, Any]:
    case = await api.open_case(marker=marker, **overrides)
    await api.consent(case["id"], grant(ALL, orgs=[RWANGA, ETTC]))
    return case


async def test_validation_against_the_replica(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await _case_with_consent(api)
    unknown = await api.refer(case["id"], uuid.uuid4(), ["needs"])
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["pointer"] == "/service_id"
    inactive = await api.refer(case["id"], d.inactive, ["needs"])
    assert inactive.status_code == 422 and inactive.json()["type"].endswith("service-not-referrable")
    closed = await api.refer(case["id"], d.closed_door, ["needs"])
    assert closed.status_code == 422 and "does not accept" in closed.json()["detail"]
    # The livelihood programme admits voluntary assisted returns only.
    forced = await _case_with_consent(api, return_type="forced")
    refused = await api.refer(forced["id"], d.livelihood, ["needs"])
    assert refused.status_code == 422 and "forced" in refused.text
    wrong_programme = await api.refer(case["id"], d.livelihood, ["needs"], programme_id=str(uuid.uuid4()))
    assert (
        wrong_programme.status_code == 422
        and wrong_programme.json()["errors"][0]["pointer"] == "/programme_id"
    )
    ok = await api.refer(case["id"], d.livelihood, ["needs"])
    assert ok.status_code == 201
    body = ok.json()
    assert body["programme_id"] == str(d.programme) and body["funder_countries"] == ["NO", "SE"]
    malformed = await api.post("counsellor.erbil", f"/cases/{case['id']}/referrals", {"service_id": "nope"})
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["pointer"] == "/service_id"
    nothing = await api.client.get("/v1/referrals")
    assert nothing.status_code == 401


async def test_zero_capacity_still_sends_with_a_recorded_warning(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await _case_with_consent(api)
    r = await api.refer(case["id"], d.housing, ["needs"])
    assert r.status_code == 201
    assert r.json()["status"] == "sent" and r.json()["capacity_warning"] is True
    assert "no_capacity" in r.json()["warnings"]
    report = (await api.get("dpo.noraq", f"/rights/cases/{case['id']}/access-report")).json()
    created = next(e for e in report["audit"] if e["action"] == "referral.created")
    assert "no_capacity" in created["detail"]["warnings"]


async def test_provider_sees_only_consented_categories_of_its_own_referrals(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await api.open_case(marker="P1")
    await api.consent(case["id"], grant(["identity_contact", "vulnerabilities"], orgs=[RWANGA]))
    needs = await api.client.put(
        f"/v1/cases/{case['id']}/needs",
        json={"economic": {"level": 2, "needs": ["cash"]}},
        headers=api.h("counsellor.erbil"),
    )
    assert needs.status_code == 200
    ref = (await api.refer(case["id"], d.psychosocial, ["identity_contact", "vulnerabilities"])).json()
    seen = await api.get("caseworker.rwanga", f"/referrals/{ref['id']}")
    view = seen.json()["case"]
    assert set(view) == {"reference", "identity_contact", "vulnerabilities"}
    assert "notes" not in seen.text and "DOCP1" not in seen.text and "cash" not in seen.text
    # Another provider does not see the referral at all, nor its list entry.
    assert (await api.get("caseworker.ettc", f"/referrals/{ref['id']}")).status_code == 404
    assert (await api.get("caseworker.ettc", "/referrals")).json() == []
    listed = (await api.get("caseworker.rwanga", "/referrals")).json()
    assert [r["id"] for r in listed] == [ref["id"]] and listed[0]["case"] is None
    # Providers cannot read the case (for them it does not exist: only reception staff hold cases,
    # their own), and counsellors of another MRC cannot either.
    assert (await api.get("caseworker.rwanga", f"/cases/{case['id']}")).status_code == 404
    assert (await api.get("counsellor.baghdad", f"/cases/{case['id']}")).status_code == 404
    assert (await api.get("funder.se", "/referrals")).status_code == 403
    # Every provider read is in the access log with its categories and purpose.
    report = (await api.get("dpo.noraq", f"/rights/cases/{case['id']}/access-report")).json()
    reads = [a for a in report["accessed_by"] if a["who"] == "caseworker.rwanga"]
    assert (
        reads
        and reads[0]["categories"] == ["identity_contact", "vulnerabilities"]
        and reads[0]["why"] == "referral"
    )


async def test_drafts_are_invisible_to_the_provider_until_sent(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await _case_with_consent(api)
    draft = (await api.refer(case["id"], d.psychosocial, ["needs"], send=False)).json()
    assert draft["status"] == "draft"
    assert (await api.get("caseworker.rwanga", f"/referrals/{draft['id']}")).status_code == 404
    sent = await api.post("counsellor.erbil", f"/referrals/{draft['id']}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent" and sent.json()["deadline_at"]
    assert (await api.get("caseworker.rwanga", f"/referrals/{draft['id']}")).status_code == 200


PATHS: list[list[tuple[str, str, dict[str, Any] | None, str]]] = [
    [
        ("caseworker.rwanga", "accept", None, "accepted"),
        ("caseworker.rwanga", "start", None, "in_progress"),
        ("admin.rwanga", "complete", {"outcome": "partially_delivered"}, "completed"),
    ],
    [("caseworker.rwanga", "decline", {"reason": "no_capacity"}, "declined")],
    [
        ("caseworker.rwanga", "accept", None, "accepted"),
        ("caseworker.rwanga", "close", {"reason": "no_show"}, "closed"),
    ],
    [
        ("caseworker.rwanga", "accept", None, "accepted"),
        ("caseworker.rwanga", "start", None, "in_progress"),
        ("caseworker.rwanga", "close", {"reason": "unreachable"}, "closed"),
    ],
    [("counsellor.erbil", "revoke", None, "revoked")],
    [
        ("caseworker.rwanga", "accept", None, "accepted"),
        ("counsellor.erbil", "revoke", {"reason": "client_request"}, "revoked"),
    ],
    [
        ("caseworker.rwanga", "accept", None, "accepted"),
        ("caseworker.rwanga", "start", None, "in_progress"),
        ("counsellor.erbil", "revoke", None, "revoked"),
    ],
]


@pytest.mark.parametrize(
    "path",
    PATHS,
    ids=[
        "complete",
        "decline",
        "close-accepted",
        "close-started",
        "revoke-sent",
        "revoke-accepted",
        "revoke-started",
    ],
)
async def test_every_legal_transition(
    harness: Harness, path: list[tuple[str, str, dict[str, Any] | None, str]]
) -> None:
    api, d = harness.api, harness.directory
    case = await _case_with_consent(api)
    ref = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    for user, action, body, expected in path:
        r = await api.post(user, f"/referrals/{ref['id']}/{action}", body)
        assert r.status_code == 200, (action, r.text)
        assert r.json()["status"] == expected
    final = r.json()
    # Anything further from a final state is a 409 naming what is allowed (nothing, here).
    for user, action, body in [("caseworker.rwanga", "accept", None), ("counsellor.erbil", "revoke", None)]:
        again = await api.post(user, f"/referrals/{ref['id']}/{action}", body)
        assert again.status_code == 409, again.text
        assert again.json()["type"] == "urn:hawkari:problem:illegal-transition"
        assert again.json()["status"] == final["status"] and again.json()["allowed_next"] == []


async def test_refusals_name_the_allowed_next_states_and_roles(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await _case_with_consent(api)
    ref = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    early = await api.post("caseworker.rwanga", f"/referrals/{ref['id']}/complete", {"outcome": "delivered"})
    assert early.status_code == 409
    assert {a["to"] for a in early.json()["allowed_next"]} == {"accepted", "declined", "revoked", "expired"}
    # The sender cannot accept its own referral; a provider cannot revoke; an outsider sees nothing.
    assert (await api.post("counsellor.erbil", f"/referrals/{ref['id']}/accept")).status_code == 403
    assert (await api.post("caseworker.rwanga", f"/referrals/{ref['id']}/revoke")).status_code == 403
    assert (await api.post("caseworker.ettc", f"/referrals/{ref['id']}/accept")).status_code == 404
    # Decline "other" needs its text; a stale If-Match is a 412.
    other = await api.post("caseworker.rwanga", f"/referrals/{ref['id']}/decline", {"reason": "other"})
    assert other.status_code == 422
    stale = await api.post(
        "caseworker.rwanga", f"/referrals/{ref['id']}/accept", None, **{"If-Match": '"99"'}
    )
    assert stale.status_code == 412 and stale.json()["current_etag"] == '"1"'
    fresh = await api.post("caseworker.rwanga", f"/referrals/{ref['id']}/accept", None, **{"If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.json()["version"] == 2


async def test_decline_suggests_other_eligible_services_and_feedback_closes_the_loop(
    harness: Harness,
) -> None:
    api, d = harness.api, harness.directory
    case = await _case_with_consent(api)
    ref = (await api.refer(case["id"], d.livelihood, ["needs"])).json()
    declined = await api.post(
        "caseworker.ettc", f"/referrals/{ref['id']}/decline", {"reason": "other", "reason_text": "moved away"}
    )
    assert declined.status_code == 200
    assert declined.json()["suggestions"] == []  # the provider does not get suggestions
    seen = (await api.get("counsellor.erbil", f"/referrals/{ref['id']}")).json()
    assert [s["service_id"] for s in seen["suggestions"]] == [str(d.livelihood_alt)]
    assert seen["suggestions"][0]["programme_id"] == str(d.programme)
    # Feedback only on completed referrals, once.
    done = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    assert (
        await api.post("counsellor.erbil", f"/referrals/{done['id']}/feedback", {"delivered": True})
    ).status_code == 409
    for action, body in [("accept", None), ("start", None), ("complete", {"outcome": "delivered"})]:
        await api.post("caseworker.rwanga", f"/referrals/{done['id']}/{action}", body)
    fb = await api.post(
        "counsellor.erbil",
        f"/referrals/{done['id']}/feedback",
        {"delivered": True, "quality": 4, "wait_days": 3},
    )
    assert fb.status_code == 200 and fb.json()["feedback"] == {
        "delivered": True,
        "quality": 4,
        "wait_days": 3,
    }
    assert (
        await api.post("counsellor.erbil", f"/referrals/{done['id']}/feedback", {"delivered": True})
    ).status_code == 409
    bad = await api.post(
        "counsellor.erbil", f"/referrals/{done['id']}/feedback", {"delivered": True, "quality": 6}
    )
    assert bad.status_code == 422
