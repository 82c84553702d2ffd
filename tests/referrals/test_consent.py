"""Consent enforcement for every data category and recipient kind, the ledger, minors, withdrawal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.referrals.consent.models import ConsentRecord
from services.referrals.consent.service import covered, in_force
from services.referrals.referrals import repository
from tests.referrals.conftest import Harness
from tests.referrals.world import ETTC, RWANGA, grant

CATEGORIES = ["identity_contact", "needs", "vulnerabilities", "documents"]
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _record(**kw: object) -> ConsentRecord:
    base: dict[str, object] = dict(
        id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        action="granted",
        withdraws_id=None,
        purposes=["referral"],
        data_categories=[],
        recipient_org_ids=[],
        recipient_categories=[],
        legal_basis="consent",
        recorded_at=T0,
        expires_at=None,
    )
    base.update(kw)
    return ConsentRecord(**base)


ORGS = [uuid.UUID(int=i) for i in range(1, 4)]
CODES = ["psychosocial", "housing", "livelihood"]
grants_st = st.lists(
    st.builds(
        lambda cats, orgs, codes, purposes, withdrawn, expires: (
            _record(
                data_categories=cats, recipient_org_ids=orgs, recipient_categories=codes, purposes=purposes
            ),
            withdrawn,
            expires,
        ),
        st.lists(st.sampled_from(CATEGORIES), unique=True),
        st.lists(st.sampled_from(ORGS), unique=True),
        st.lists(st.sampled_from(CODES), unique=True),
        st.lists(st.sampled_from(["referral", "statistics", "follow_up_contact"]), unique=True, min_size=1),
        st.booleans(),
        st.sampled_from([None, -1, 1]),
    ),
    max_size=6,
)


@given(
    grants_st,
    st.sampled_from(ORGS),
    st.lists(st.sampled_from(CODES), unique=True),
    st.sampled_from(CATEGORIES),
)
def test_coverage_matches_the_definition(grants, org, codes, category) -> None:  # type: ignore[no-untyped-def]
    now = T0 + timedelta(days=10)
    records = []
    for record, withdrawn, expires in grants:
        if expires is not None:
            record.expires_at = now + timedelta(days=expires)
        records.append(record)
        if withdrawn:
            records.append(
                _record(action="withdrawn", withdraws_id=record.id, recorded_at=T0 + timedelta(days=1))
            )
    active = in_force(records, now)
    expected = any(
        record.action == "granted"
        and not withdrawn
        and (expires is None or expires > 0)
        and "referral" in record.purposes
        and category in record.data_categories
        and (org in record.recipient_org_ids or set(codes) & set(record.recipient_categories))
        for record, withdrawn, expires in grants
    )
    assert bool(covered(active, [category], org, codes)[category]) is expected
    # The state before the withdrawals were recorded still shows every grant that had not expired.
    assert len(in_force(records, T0)) == len(
        [r for r, _, e in grants if e is None or now + timedelta(days=e) > T0]
    )


@pytest.mark.parametrize("recipient", ["named_org", "provider_category"])
async def test_every_category_needs_consent_for_the_recipient(harness: Harness, recipient: str) -> None:
    api, d = harness.api, harness.directory
    for category in CATEGORIES:
        case = await api.open_case()
        # Consent to the other three categories, and to this one for someone else: still refused.
        others = [c for c in CATEGORIES if c != category]
        await api.consent(case["id"], grant(others, orgs=[RWANGA]))
        await api.consent(case["id"], grant([category], orgs=[ETTC], codes=["housing"]))
        refused = await api.refer(case["id"], d.psychosocial, CATEGORIES)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["type"] == "urn:hawkari:problem:consent-required"
        assert problem["missing_categories"] == [category]
        kind = {"orgs": [RWANGA]} if recipient == "named_org" else {"codes": ["psychosocial"]}
        await api.consent(case["id"], grant([category], **kind))
        allowed = await api.refer(case["id"], d.psychosocial, CATEGORIES)
        assert allowed.status_code == 201, allowed.text


async def test_statistics_purpose_or_expired_consent_does_not_cover_a_referral(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await api.open_case()
    body = grant(["needs"], orgs=[RWANGA])
    body["purposes"] = ["statistics", "follow_up_contact"]
    await api.consent(case["id"], body)  # names Rwanga, but not for referrals
    assert (await api.refer(case["id"], d.psychosocial, ["needs"])).status_code == 422
    soon = (harness.clock.now() + timedelta(hours=1)).isoformat()
    await api.consent(case["id"], grant(["needs"], orgs=[RWANGA], expires_at=soon))
    assert (await api.refer(case["id"], d.psychosocial, ["needs"])).status_code == 201
    harness.clock.advance(timedelta(hours=2))
    assert (await api.refer(case["id"], d.psychosocial, ["needs"])).status_code == 422


async def test_vital_interest_override_needs_a_reason_and_is_audited(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await api.open_case()
    no_reason = await api.refer(
        case["id"],
        d.psychosocial,
        ["identity_contact"],
        override={"legal_basis": "vital_interest", "reason": ""},
    )
    assert no_reason.status_code == 422
    r = await api.refer(
        case["id"],
        d.psychosocial,
        ["identity_contact"],
        override={"legal_basis": "vital_interest", "reason": "acute risk to life, provider must call today"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["legal_basis"] == "vital_interest"
    seen = (await api.get("caseworker.rwanga", f"/referrals/{r.json()['id']}")).json()
    assert "identity_contact" in seen["case"]
    report = (await api.get("dpo.noraq", f"/rights/cases/{case['id']}/access-report")).json()
    assert any(e["action"] == "referral.consent_override" for e in report["audit"])
    assert report["referrals"][0]["notes"]["override_reason"].startswith("acute risk")


async def test_ledger_history_and_past_states(harness: Harness) -> None:
    api = harness.api
    case = await api.open_case()
    first = await api.consent(case["id"], grant(["needs"], orgs=[RWANGA]))
    harness.clock.advance(timedelta(minutes=5))
    between = harness.clock.now()
    harness.clock.advance(timedelta(minutes=5))
    second = await api.consent(case["id"], grant(["documents"], codes=["housing"]))
    harness.clock.advance(timedelta(minutes=5))
    w = await api.post(
        "counsellor.erbil", f"/cases/{case['id']}/consent/withdrawals", {"consent_id": first["id"]}
    )
    assert w.status_code == 201, w.text
    now_state = (await api.get("counsellor.erbil", f"/cases/{case['id']}/consent")).json()
    assert [g["id"] for g in now_state["active"]] == [second["id"]]
    past = (await api.get("counsellor.erbil", f"/cases/{case['id']}/consent", at=between.isoformat())).json()
    assert [g["id"] for g in past["active"]] == [first["id"]]
    history = (await api.get("counsellor.erbil", f"/cases/{case['id']}/consent/history")).json()
    assert [h["action"] for h in history] == ["granted", "granted", "withdrawn"]
    assert history[2]["withdraws_id"] == first["id"]
    again = await api.post(
        "counsellor.erbil", f"/cases/{case['id']}/consent/withdrawals", {"consent_id": first["id"]}
    )
    assert again.status_code == 409


async def test_a_minor_needs_guardian_consent_and_their_own_view(harness: Harness) -> None:
    api = harness.api
    case = await api.open_case(age_band="0-17")
    r = await api.post("counsellor.erbil", f"/cases/{case['id']}/consent", grant(["needs"], orgs=[RWANGA]))
    assert r.status_code == 422
    pointers = {e["pointer"] for e in r.json()["errors"]}
    assert pointers == {"/guardian_consent", "/child_view"}
    disagrees = grant(["needs"], orgs=[RWANGA], guardian_consent=True, child_view="disagrees")
    assert (await api.post("counsellor.erbil", f"/cases/{case['id']}/consent", disagrees)).status_code == 422
    ok = await api.consent(
        case["id"], grant(["needs"], orgs=[RWANGA], guardian_consent=True, child_view="agrees")
    )
    assert ok["child_view"] == "agrees" and ok["guardian_consent"] is True


async def test_withdrawal_revokes_dependent_referrals_and_cuts_access_at_once(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    case = await api.open_case(marker="W1")
    needs = await api.consent(case["id"], grant(["needs", "identity_contact"], orgs=[RWANGA]))
    docs = await api.consent(case["id"], grant(["documents"], codes=["housing"]))
    open_ref = (await api.refer(case["id"], d.psychosocial, ["identity_contact"])).json()
    done_ref = (await api.refer(case["id"], d.psychosocial, ["needs"])).json()
    other = (await api.refer(case["id"], d.housing, ["documents"])).json()
    for action in ("accept", "start"):
        assert (
            await api.post("caseworker.rwanga", f"/referrals/{done_ref['id']}/{action}")
        ).status_code == 200
    await api.post("caseworker.rwanga", f"/referrals/{done_ref['id']}/complete", {"outcome": "delivered"})
    before = (await api.get("caseworker.rwanga", f"/referrals/{open_ref['id']}")).json()
    assert before["case"]["identity_contact"]["given_name"] == "FakenameW1"
    w = await api.post(
        "counsellor.erbil", f"/cases/{case['id']}/consent/withdrawals", {"consent_id": needs["id"]}
    )
    assert w.status_code == 201
    assert set(w.json()["revoked_referral_ids"]) == {open_ref["id"]}  # completed ones are not "open"
    after = (await api.get("caseworker.rwanga", f"/referrals/{open_ref['id']}")).json()
    assert after["status"] == "revoked" and after["revoke_reason"] == "consent_withdrawn"
    assert set(after["case"]) == {"reference"}
    completed = (await api.get("caseworker.rwanga", f"/referrals/{done_ref['id']}")).json()
    assert completed["status"] == "completed" and set(completed["case"]) == {"reference"}
    untouched = (await api.get("caseworker.rwanga", f"/referrals/{other['id']}")).json()
    assert untouched["status"] == "sent" and "documents" in untouched["case"]
    assert docs["id"]


async def test_a_withdrawal_between_the_consent_check_and_the_write_stops_the_referral(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The referral's view is read without a lock; the withdrawal commits right after it. The write
    # must then find the case's consent changed, write nothing, and check again: refused.
    api, d = harness.api, harness.directory
    case = await api.open_case()
    given_consent = await api.consent(case["id"], grant(["needs"], orgs=[RWANGA]))
    read_view = repository.creation_view
    reads = 0

    async def withdrawn_right_after_the_read(*args: Any) -> repository.CreationView:
        nonlocal reads
        view = await read_view(*args)
        reads += 1
        if reads == 1:
            w = await api.post(
                "counsellor.erbil",
                f"/cases/{case['id']}/consent/withdrawals",
                {"consent_id": given_consent["id"]},
            )
            assert w.status_code == 201, w.text
        return view

    monkeypatch.setattr(repository, "creation_view", withdrawn_right_after_the_read)
    r = await api.post(
        "counsellor.erbil",
        f"/cases/{case['id']}/referrals",
        {"service_id": str(d.psychosocial), "data_categories": ["needs"]},
    )
    assert r.status_code == 422 and r.json()["missing_categories"] == ["needs"], r.text
    assert reads == 2
    assert (await api.get("counsellor.erbil", "/referrals")).json() == []
