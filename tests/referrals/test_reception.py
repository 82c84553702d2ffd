"""The story: ETTC receives a returnee at Baghdad airport, opens the case and transfers it to MRC Erbil."""

from __future__ import annotations

from tests.referrals.conftest import Harness
from tests.referrals.world import ERBIL, ETTC, RWANGA, case_body, grant


async def test_reception_staff_open_a_case_and_transfer_it_to_the_mrc(harness: Harness) -> None:
    api, d = harness.api, harness.directory
    # ETTC runs an arrival-reception service (taxonomy dimension arrival_reception): it may open cases.
    case = await api.open_case("caseworker.ettc", marker="AIR", governorate_code="IQ-AR")
    assert case["owner_org_id"] is not None
    consent = grant(["identity_contact", "needs"], orgs=[RWANGA])
    assert (await api.post("caseworker.ettc", f"/cases/{case['id']}/consent", consent)).status_code == 201
    personal = await api.get("caseworker.ettc", f"/cases/{case['id']}/personal-data")
    assert personal.status_code == 200 and personal.json()["identity_contact"]["given_name"] == "FakenameAIR"
    # Referring is counsellors' work, also for the organization holding the case.
    assert (await api.refer(case["id"], d.psychosocial, ["needs"], user="caseworker.ettc")).status_code == 403
    # MRC Erbil does not see the case until the transfer is accepted.
    assert (await api.get("counsellor.erbil", f"/cases/{case['id']}")).status_code == 404
    t = await api.post("caseworker.ettc", f"/cases/{case['id']}/transfers", {"to_org_id": str(ERBIL)})
    assert t.status_code == 201, t.text
    outgoing = (await api.get("caseworker.ettc", "/transfers")).json()
    assert [x["id"] for x in outgoing] == [t.json()["id"]]
    accepted = await api.post("counsellor.erbil", f"/transfers/{t.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    mine = (await api.get("counsellor.erbil", f"/cases/{case['id']}")).json()
    assert mine["owner_org_id"] == str(ERBIL)
    # The consent recorded at the airport travels with the case: Erbil can refer at once.
    assert (await api.refer(case["id"], d.psychosocial, ["needs"])).status_code == 201
    # And ETTC no longer holds it.
    assert (await api.get("caseworker.ettc", f"/cases/{case['id']}")).status_code == 404


async def test_provider_staff_elsewhere_do_not_open_cases(harness: Harness) -> None:
    api = harness.api
    # Rwanga runs no reception service and is no migrant resource centre.
    r = await api.post("caseworker.rwanga", "/cases", {})
    assert r.status_code == 422  # the body is checked first; a valid one is then refused
    r = await api.post("caseworker.rwanga", "/cases", case_body("NO"))
    assert r.status_code == 403 and "arrival" in r.json()["detail"]
    assert (await api.get("caseworker.rwanga", "/cases")).json() == []
    assert (await api.post("funder.se", "/cases", case_body("NO"))).status_code == 403
    # Reception staff do not take in transferred cases: that is a counsellor's decision.
    case = await api.open_case("counsellor.erbil", marker="BACK")
    t = (
        await api.post("counsellor.erbil", f"/cases/{case['id']}/transfers", {"to_org_id": str(ETTC)})
    ).json()
    assert (await api.post("caseworker.ettc", f"/transfers/{t['id']}/accept")).status_code == 403
