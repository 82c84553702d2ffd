"""Roles, bad input, and each view on a small directory and a few referrals."""

from __future__ import annotations

from datetime import date

import pytest

from services.coordination.dashboards.service import GOVERNORATES
from tests.coordination.conftest import (
    ETTC,
    Harness,
    demo_directory,
    programme,
    referrals,
    service,
    tid,
)

VIEWS = [
    "/v1/coverage",
    "/v1/overlap",
    "/v1/gaps/declines",
    "/v1/gaps/supply",
    "/v1/funnel",
    "/v1/outcomes",
    "/v1/demographics",
    "/v1/timeline",
    "/v1/suppression",
]


async def test_only_funders_and_the_steering_group_see_dashboards(harness: Harness) -> None:
    for path in VIEWS:
        for user in ("counsellor.erbil", "caseworker.rwanga"):
            r = await harness.get(user, path)
            assert r.status_code == 403, (path, user, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        for user in ("funder.se", "steering.noraq"):
            assert (await harness.get(user, path)).status_code == 200, path
        assert (await harness.http.get(path)).status_code == 401
    put = harness.http.put
    r = await put("/v1/suppression", json={"k": 7}, headers=harness.auth("funder.se"))
    assert r.status_code == 403
    for bad in (1, 0, -3):
        r = await put("/v1/suppression", json={"k": bad}, headers=harness.auth("steering.noraq"))
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["pointer"] == "/k"
    r = await put("/v1/suppression", json={"k": 7}, headers=harness.auth("steering.noraq"))
    assert r.status_code == 200
    assert (await harness.json("/v1/suppression", "funder.no"))["k"] == 7


async def test_unknown_filters_and_inverted_ranges_are_422(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    cases = [
        ("/v1/coverage", {"governorate": "IQ-XX"}, "#query/governorate"),
        ("/v1/coverage", {"term": "teleportation"}, "#query/term"),
        ("/v1/coverage", {"funder": "FR"}, "#query/funder"),
        ("/v1/coverage", {"programme": str(tid("programme", "nope"))}, "#query/programme"),
        ("/v1/coverage", {"return_type": "deported"}, "#query/return_type"),
        ("/v1/coverage", {"from": "2025-05-01", "to": "2025-01-01"}, "#query/from"),
        ("/v1/overlap", {"governorate": "Erbil"}, "#query/governorate"),
        ("/v1/overlap", {"funder": "US"}, "#query/funder"),
        ("/v1/gaps/declines", {"term": "nothing"}, "#query/term"),
        ("/v1/gaps/supply", {"from": "2025-02-01", "to": "2024-02-01"}, "#query/from"),
        ("/v1/funnel", {"programme": "not-a-programme"}, "#query/programme"),
        ("/v1/funnel", {"governorate": "IQ-ZZ"}, "#query/governorate"),
        # The Kurdistan Region is a subdivision in ISO 3166-2 but not a governorate.
        ("/v1/gaps/supply", {"governorate": "IQ-KR"}, "#query/governorate"),
        ("/v1/funnel", {"funder": "ZZ"}, "#query/funder"),
        ("/v1/funnel", {"by": "provider", "governorate": "IQ-AR"}, "#query/governorate"),
        ("/v1/funnel", {"from": "2025-03-01", "to": "2025-02-28"}, "#query/from"),
        ("/v1/timeline", {"funder": "XX"}, "#query/funder"),
    ]
    for path, params, pointer in cases:
        r = await harness.get("funder.se", path, **params)
        assert r.status_code == 422, (path, params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert pointer in [e["pointer"] for e in r.json()["errors"]], r.json()
    r = await harness.get("funder.se", "/v1/funnel", by="nonsense")
    assert r.status_code == 422


async def test_coverage_counts_services_providers_capacity_and_funders(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    body = await harness.json("/v1/coverage", "funder.se")
    cells = {(r["governorate"], r["term"]): r for r in body["rows"]}
    erbil_cash = cells[("IQ-AR", "cash-grant")]
    assert (erbil_cash["services"], erbil_cash["providers"], erbil_cash["open_places"]) == (2, 2, 14)
    assert erbil_cash["funders"] == ["NO", "SE"]
    own = {body["programmes"][p]["name"]: body["programmes"][p]["own"] for p in erbil_cash["programme_ids"]}
    assert own == {"se-cash": True, "no-cash": False}  # observer on Norway's, owner of its own
    assert erbil_cash["own_programmes"] == 1
    as_norway = await harness.json("/v1/coverage", "funder.no")
    assert {p["name"]: p["own"] for p in as_norway["programmes"].values()} == {
        "se-cash": False,
        "no-cash": True,
        "se-psy": False,
        "no-mrc": True,
    }
    # The MRC service has no service area: its location's governorate counts.
    assert cells[("IQ-AR", "housing")]["services"] == 1
    assert cells[("IQ-DA", "cash-grant")]["funders"] == ["SE"]
    # Filters.
    only_no = await harness.json("/v1/coverage", funder="NO")
    assert {(r["governorate"], r["term"]) for r in only_no["rows"]} == {
        ("IQ-AR", "cash-grant"),
        ("IQ-BG", "cash-grant"),
        ("IQ-AR", "housing"),
    }
    before_no = await harness.json("/v1/coverage", funder="NO", to="2024-12-31")
    assert {(r["governorate"], r["term"]) for r in before_no["rows"]} == {("IQ-AR", "housing")}
    by_dim = await harness.json("/v1/coverage", group="dimension", governorate="IQ-AR")
    assert {r["dimension"]: r["services"] for r in by_dim["rows"]} == {
        "economic": 2,
        "psychosocial": 1,
        "social": 1,
    }
    # A newer upsert moves the service; then, out of order, its deactivation (v4) arrives before an
    # older upsert (v3, on another subject of the stream): the deactivation stays.
    await harness.directory(service("ettc-cash", ETTC, ["cash-grant"], ["IQ-NI"], open_places=1, version=2))
    cells = {(r["governorate"], r["term"]): r for r in (await harness.json("/v1/coverage"))["rows"]}
    assert cells[("IQ-AR", "cash-grant")]["services"] == 1
    assert cells[("IQ-NI", "cash-grant")]["open_places"] == 1
    await harness.directory(
        service("ettc-cash", ETTC, ["cash-grant"], ["IQ-NI"], version=4, active=False),
        service("ettc-cash", ETTC, ["cash-grant"], ["IQ-NI"], open_places=99, version=3),
    )
    assert ("IQ-NI", "cash-grant") not in {
        (r["governorate"], r["term"]) for r in (await harness.json("/v1/coverage"))["rows"]
    }


async def test_overlap_rules(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    body = await harness.json("/v1/overlap", "funder.no")
    assert [(r["governorate"], r["term"]) for r in body["rows"]] == [("IQ-AR", "cash-grant")]
    row = body["rows"][0]
    named = {body["programmes"][p]["name"]: body["programmes"][p]["own"] for p in row["programme_ids"]}
    assert named == {"se-cash": False, "no-cash": True}
    assert (row["overlap_starts_on"], row["overlap_ends_on"], row["services"]) == (
        "2025-01-01",
        "2026-05-31",
        2,
    )
    # Periods that do not meet: no overlap.
    await harness.directory(programme("no-cash", ["NO"], ["ettc-cash"], starts=date(2026, 6, 1), version=2))
    assert (await harness.json("/v1/overlap"))["rows"] == []
    # Both only for their own country's returnees: disjoint target groups, no overlap.
    await harness.directory(
        programme("no-cash", ["NO"], ["ettc-cash"], target_group="funder_country_returnees", version=3),
        programme("se-cash", ["SE"], ["rwanga-cash"], target_group="funder_country_returnees", version=2),
    )
    assert (await harness.json("/v1/overlap"))["rows"] == []
    # Same funder twice is not an overlap between funders; disjoint return types neither.
    await harness.directory(
        programme("se-cash", ["SE"], ["rwanga-cash"], version=3),
        programme("no-cash", ["SE"], ["ettc-cash"], version=4),
    )
    assert (await harness.json("/v1/overlap"))["rows"] == []
    await harness.directory(
        programme("no-cash", ["NO"], ["ettc-cash"], return_types=["self_initiated"], version=5),
    )
    assert (await harness.json("/v1/overlap"))["rows"] == []
    await harness.directory(programme("no-cash", ["NO", "DK"], ["ettc-cash"], version=6))
    body = await harness.json("/v1/overlap", funder="DK")
    assert body["rows"][0]["funders"] == ["DK", "NO", "SE"]
    assert (await harness.json("/v1/overlap", governorate="IQ-BG"))["rows"] == []


async def test_funnel_counts_transitions_and_suppresses_small_cells(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    await harness.refs(
        referrals(12)
        + referrals(9, stage="accepted")
        + referrals(6, stage="completed")
        + referrals(2, stage="declined", reason="no_capacity")
        + referrals(7, stage="declined", reason="out_of_area")
        + referrals(
            8, programme="no-cash", funders=["NO"], provider=ETTC, governorate="IQ-BG", month="2025-04"
        )
        + referrals(
            6,
            programme="no-cash",
            funders=["NO"],
            provider=ETTC,
            governorate="IQ-BG",
            stage="expired",
            month="2025-04",
        )
    )
    body = await harness.json("/v1/funnel", "funder.se", by="governorate")
    rows = {r["governorate"]: r for r in body["rows"]}
    erbil = rows["IQ-AR"]
    assert (erbil["sent"], erbil["accepted"], erbil["completed"]) == (12, 9, 6)
    assert erbil["acceptance_rate"] == 0.75
    assert (
        erbil["declined"] == 9
        and erbil["declined_out_of_area"] is None
        and erbil["declined_no_capacity"] is None
    )
    assert {"declined_no_capacity", "declined_out_of_area"} <= set(erbil["suppressed"])
    assert rows["IQ-BG"]["deadline_breaches"] == 6
    assert rows[None]["sent"] == 20  # the total row
    assert erbil["median_hours_to_accept"] is None
    by_prog = {
        r["programme_name"]: r
        for r in (await harness.json("/v1/funnel", "funder.se", by="programme"))["rows"]
    }
    assert by_prog["se-cash"]["own"] is True and by_prog["no-cash"]["own"] is False
    by_funder = {r["funder"]: r for r in (await harness.json("/v1/funnel", "funder.no", by="funder"))["rows"]}
    assert by_funder["NO"]["own"] and by_funder["NO"]["sent"] == 8
    by_month = {r["month"]: r for r in (await harness.json("/v1/funnel", by="month"))["rows"]}
    assert by_month["2025-03"]["sent"] == 12 and by_month["2025-04"]["expired"] == 6
    only_april = await harness.json("/v1/funnel", by="provider", **{"from": "2025-04-01", "to": "2025-04-30"})
    assert {r["provider_name"]: r["sent"] for r in only_april["rows"]} == {
        "ETTC": 8,
        "Rwanga Foundation": 0,
        "Total": 8,
    }
    scoped = await harness.json("/v1/funnel", by="month", programme=str(tid("programme", "no-cash")))
    assert {r["month"]: r["sent"] for r in scoped["rows"]} == {"2025-03": 0, "2025-04": 8, None: 8}
    # k is the steering group's: with k = 10 the 9s and 8s hide too.
    r = await harness.http.put("/v1/suppression", json={"k": 10}, headers=harness.auth("steering.noraq"))
    assert r.status_code == 200
    rows = {r["governorate"]: r for r in (await harness.json("/v1/funnel"))["rows"]}
    assert rows["IQ-AR"]["accepted"] is None and rows["IQ-BG"]["sent"] is None
    # Baghdad's 8 is small now; Erbil's 12 hides with it, or the total (20) would give it away.
    assert rows["IQ-AR"]["sent"] is None and rows[None]["sent"] == 20


async def test_gaps_outcomes_demographics_timeline(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    await harness.refs(
        referrals(6, stage="declined", reason="no_capacity", term="job-placement")
        + referrals(5, stage="declined", reason="no_capacity", term="cash-grant")
        + referrals(5, stage="declined", reason="not_eligible", term="cash-grant")
    )
    from shared.contracts import referrals as rc
    from tests.coordination.conftest import MRC_ERBIL

    for gov, n in (("IQ-AR", 6), ("IQ-NI", 7), ("IQ-BG", 2)):
        for i in range(n):
            d = rc.Dimensions(
                owner_org_id=MRC_ERBIL,
                governorate_code=gov,
                return_type="forced",
                gender="female" if i % 2 else "male",
                age_band="25-34",
            )
            await harness.pub.publish(
                rc.CaseOpened(case_id=tid("case", f"{gov}{i}"), dimensions=d), tid("case", f"{gov}{i}")
            )
            for tp, score in (("baseline", 0.2), ("month_3", 0.4)):
                await harness.pub.publish(
                    rc.FollowUpRecorded(
                        case_id=tid("case", f"{gov}{i}"),
                        dimensions=d,
                        follow_up_id=tid("followup", f"{gov}{i}{tp}"),
                        timepoint=tp,
                        economic=score,
                        social=score + 0.1,
                        psychosocial=None,
                    ),
                    tid("case", f"{gov}{i}"),
                )
    await harness.settle()
    declines = {(r["governorate"], r["term"]): r for r in (await harness.json("/v1/gaps/declines"))["rows"]}
    assert declines[("IQ-AR", "job-placement")]["declined_no_capacity"] == 6
    assert declines[("IQ-AR", "cash-grant")]["declined_not_eligible"] == 5
    assert declines[("IQ-AR", None)]["declined_no_capacity"] == 11
    supply = {r["governorate"]: r for r in (await harness.json("/v1/gaps/supply"))["rows"]}
    assert len(supply) == len(GOVERNORATES)
    assert (
        supply["IQ-AR"]["has_mrc"]
        and supply["IQ-AR"]["has_psychosocial"]
        and not supply["IQ-AR"]["gap_no_mrc"]
    )
    assert (
        supply["IQ-NI"]["returns"] == 7
        and supply["IQ-NI"]["gap_no_mrc"]
        and supply["IQ-NI"]["gap_no_psychosocial"]
    )
    assert (
        supply["IQ-BG"]["returns"] is None and supply["IQ-BG"]["gap_no_psychosocial"]
    )  # suppressed, still a gap
    assert not supply["IQ-MU"]["gap_no_mrc"]  # no returns there
    outcomes = await harness.json("/v1/outcomes", by="governorate")
    rows = {(r["governorate"], r["timepoint"]): r for r in outcomes["rows"]}
    assert rows[("IQ-NI", "baseline")]["follow_ups"] == 7
    assert rows[("IQ-NI", "baseline")]["economic_mean"] == 0.2
    assert rows[("IQ-NI", "month_3")]["social_mean"] == 0.5
    assert rows[("IQ-NI", "month_3")]["psychosocial_mean"] is None
    assert (
        rows[("IQ-BG", "baseline")]["follow_ups"] is None
        and rows[("IQ-BG", "baseline")]["economic_mean"] is None
    )
    demo = await harness.json("/v1/demographics", by="governorate", measure="returns")
    cells = {(r["governorate"], r["gender"], r["age_band"]): r["returns"] for r in demo["rows"]}
    # Baghdad's 2 is small; Erbil's 6 (the smallest other) hides with it so 15 - 7 reveals neither.
    assert cells[("IQ-BG", None, None)] is None and cells[("IQ-AR", None, None)] is None
    assert cells[("IQ-NI", None, None)] == 7 and cells[(None, None, None)] == 15
    assert cells[("IQ-AR", "male", "25-34")] is None  # 3 of 6: small
    timeline = await harness.json("/v1/timeline", "funder.no")
    kinds = [(r["kind"], r["name"], r["own"]) for r in timeline["rows"]]
    assert ("mrc", "MRC Erbil", True) in kinds and ("programme", "se-cash", False) in kinds
    mrc = next(r for r in timeline["rows"] if r["kind"] == "mrc")
    assert mrc["starts_on"] == "2024-01-01" and mrc["governorates"] == "IQ-AR"


@pytest.mark.parametrize("path", [p for p in VIEWS if p != "/v1/suppression"])
async def test_every_view_exports_csv_with_hxl(harness: Harness, path: str) -> None:
    await harness.directory(*demo_directory())
    await harness.refs(referrals(6) + referrals(2, stage="accepted") + referrals(5, stage="completed"))
    js = await harness.json(path)
    r = await harness.get("steering.noraq", path, format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    names, tags = lines[0].split(","), lines[1].split(",")
    assert names == [c["name"] for c in js["columns"]]
    assert all(t.startswith("#") for t in tags) and tags == [c["hxl"] for c in js["columns"]]
    assert len(lines) == 2 + len(js["rows"])
    if path == "/v1/funnel":
        assert "suppressed" in r.text and ",2," not in r.text
