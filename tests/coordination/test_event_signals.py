"""Time to accept, cash overlaps, outcomes by programme and bundle, unmet needs, MRC openings and
the overlap ranking's pages: driven by real events through NATS, read through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from shared.contracts import referrals as rc
from shared.testing import RunningServers
from tests.coordination.conftest import (
    ETTC,
    MRC_ERBIL,
    Harness,
    Ref,
    demo_directory,
    location,
    make_settings,
    organization,
    programme,
    referrals,
    serve,
    service,
    tid,
)

AT = datetime(2025, 3, 15, 12, tzinfo=UTC)


def refs(n: int, **kw: object) -> list[Ref]:
    return referrals(n, **{"stage": "accepted", **kw})


def dims(gov: str, return_type: str = "voluntary_assisted") -> rc.Dimensions:
    return rc.Dimensions(
        owner_org_id=MRC_ERBIL, governorate_code=gov, return_type=return_type, gender="male", age_band="25-34"
    )


async def test_time_to_accept_percentiles_come_from_sent_at_and_hide_with_small_cells(
    harness: Harness,
) -> None:
    await harness.directory(*demo_directory())
    erbil = [3.0] * 6 + [30.0] * 3 + [100.0]  # bins [2,4) x6, [24,36) x3, [96,120) x1
    await harness.refs(
        refs(12, stage="sent")
        + [r for h in erbil for r in refs(1, hours_since_sent=h)]
        # Three timed acceptances in Baghdad: a small cell, no percentile may show for it.
        + refs(
            3, governorate="IQ-BG", programme="no-cash", funders=["NO"], provider=ETTC, hours_since_sent=50
        )
        # Six in Ninewa without a sent time (events from before it was carried): counted, not timed.
        + refs(6, governorate="IQ-NI", programme="se-psy")
    )
    body = await harness.json("/v1/funnel", by="governorate")
    rows = {r["governorate"]: r for r in body["rows"]}
    assert rows["IQ-AR"]["accepted"] == 10
    assert (rows["IQ-AR"]["median_hours_to_accept"], rows["IQ-AR"]["p90_hours_to_accept"]) == (3.7, 36.0)
    assert rows["IQ-BG"]["accepted"] is None and rows["IQ-BG"]["median_hours_to_accept"] is None
    assert rows["IQ-NI"]["median_hours_to_accept"] is None  # accepted, but none timed
    # All 13 timed answers: [2,4) x6, [24,36) x3, [48,72) x3, [96,120) x1.
    assert rows[None]["accepted"] == 19
    assert (rows[None]["median_hours_to_accept"], rows[None]["p90_hours_to_accept"]) == (26.0, 69.6)
    by_programme = {
        r["programme_name"]: r for r in (await harness.json("/v1/funnel", by="programme"))["rows"]
    }
    assert by_programme["se-cash"]["median_hours_to_accept"] == 3.7
    assert by_programme["no-cash"]["median_hours_to_accept"] is None
    by_month = {r["month"]: r for r in (await harness.json("/v1/funnel", by="month"))["rows"]}
    assert by_month["2025-03"]["median_hours_to_accept"] == 26.0
    scoped = await harness.json("/v1/funnel", by="month", governorate="IQ-AR")
    assert [r["p90_hours_to_accept"] for r in scoped["rows"]] == [36.0, 36.0]  # the month, the total
    # Another period: nothing accepted then, no percentile.
    april = await harness.json("/v1/funnel", by="governorate", **{"from": "2025-04-01", "to": "2025-04-30"})
    assert all(r["median_hours_to_accept"] is None for r in april["rows"])
    csv = await harness.get("steering.noraq", "/v1/funnel", by="governorate", format="csv")
    assert ",3.7,36.0" in csv.text


async def test_cash_overlap_counts_by_kind_area_and_programme_suppressed(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    await harness.refs(
        refs(7, stage="sent", cash_overlap_kinds=["cash"])
        + refs(6, cash_overlap_kinds=["cash"])
        + refs(
            2, governorate="IQ-BG", programme="no-cash", funders=["NO"], cash_overlap_kinds=["cash", "top_up"]
        )
        + refs(5, governorate="IQ-NI", programme="se-psy", cash_overlap_kinds=["cash"])
        + refs(9)  # accepted without any overlap: not counted here
    )
    body = await harness.json("/v1/overlap/cash", "funder.no")
    rows = {(r["governorate"], r["kind"]): r for r in body["rows"]}
    assert (rows[("IQ-AR", "cash")]["sent"], rows[("IQ-AR", "cash")]["accepted"]) == (7, 6)
    assert rows[("IQ-BG", "cash")]["accepted"] is None and rows[("IQ-BG", "top_up")]["accepted"] is None
    assert "accepted" in rows[("IQ-BG", "top_up")]["suppressed"]
    # All governorates: top_up's 2 is small, so cash's 13 hides with it (15 - 13 would give it away).
    assert rows[(None, "top_up")]["accepted"] is None and rows[(None, "cash")]["accepted"] is None
    assert rows[(None, None)]["accepted"] == 15  # referral x kind pairs: BG's two kinds count twice
    by_programme = await harness.json("/v1/overlap/cash", "funder.no", by="programme")
    prows = {(r["programme_name"], r["kind"]): r for r in by_programme["rows"]}
    assert prows[("se-cash", "cash")]["accepted"] == 6 and prows[("se-cash", "cash")]["own"] is False
    assert prows[("no-cash", "cash")]["own"] is True and prows[("no-cash", "cash")]["accepted"] is None
    only_top_up = await harness.json("/v1/overlap/cash", kind="top_up")
    assert {r["kind"] for r in only_top_up["rows"]} == {"top_up"}
    later = await harness.json("/v1/overlap/cash", **{"from": "2025-04-01"})
    assert all(r["accepted"] in (0, None) for r in later["rows"])
    r = await harness.get("funder.se", "/v1/overlap/cash", kind="Cash Grant!")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#query/kind"
    csv = await harness.get("funder.se", "/v1/overlap/cash", format="csv")
    assert csv.text.splitlines()[1].startswith("#adm1+code,#adm1+name,#sector+cash+kind")


async def test_outcomes_by_programme_count_every_programme_and_by_bundle_add_up(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    cohorts = [
        (6, ["se-cash", "se-psy"], ["psychosocial-counselling", "cash-grant"], 0.4),
        (5, ["se-cash"], ["cash-grant"], 0.6),
        (5, [], [], 0.2),
    ]
    for n, programmes, terms, score in cohorts:
        for _ in range(n):
            case = uuid.uuid4()
            await harness.pub.publish(
                rc.FollowUpRecorded(
                    case_id=case,
                    dimensions=dims("IQ-AR"),
                    follow_up_id=uuid.uuid4(),
                    timepoint="baseline",
                    economic=score,
                    programme_ids=[tid("programme", p) for p in programmes],
                    taxonomy_term_codes=terms,
                ),
                case,
                at=AT,
            )
    await harness.settle()
    by_programme = await harness.json("/v1/outcomes", "funder.se", by="programme")
    base = {r["programme"]: r for r in by_programme["rows"] if r["timepoint"] == "baseline"}
    se_cash, se_psy = str(tid("programme", "se-cash")), str(tid("programme", "se-psy"))
    assert (base[se_cash]["follow_ups"], base[se_cash]["economic_mean"]) == (11, 0.4909)
    assert (base[se_psy]["follow_ups"], base[se_psy]["economic_mean"], base[se_psy]["own"]) == (6, 0.4, True)
    assert (base[""]["follow_ups"], base[""]["economic_mean"]) == (5, 0.2)
    assert base[None]["follow_ups"] == 16  # not 22: a case served by two programmes counts once in all
    by_bundle = await harness.json("/v1/outcomes", by="bundle")
    bundles = {r["bundle"]: r for r in by_bundle["rows"] if r["timepoint"] == "baseline"}
    assert bundles["cash-grant+psychosocial-counselling"]["follow_ups"] == 6
    assert bundles["cash-grant"]["economic_mean"] == 0.6
    assert bundles[""]["follow_ups"] == 5 and bundles[None]["follow_ups"] == 16
    assert {r["bundle"] for r in by_bundle["rows"] if r["timepoint"] == "month_3"} >= {None}


async def test_needs_assessed_with_no_eligible_service_per_area_dimension_and_month(harness: Harness) -> None:
    await harness.directory(*demo_directory())
    groups = [
        ("IQ-AR", 7, {"economic": 2, "psychosocial": 3, "social": 0}, ["psychosocial"], AT),
        ("IQ-NI", 6, {"economic": 1}, ["economic"], AT),
        ("IQ-DA", 5, {"psychosocial": 1}, ["psychosocial"], AT),
        ("IQ-BG", 2, {"psychosocial": 1}, ["psychosocial"], AT),
        ("IQ-AR", 5, {"economic": 1}, [], datetime(2025, 4, 2, tzinfo=UTC)),
    ]
    for gov, n, levels, unmet, at in groups:
        for _ in range(n):
            case = uuid.uuid4()
            await harness.pub.publish(
                rc.NeedsAssessed(case_id=case, dimensions=dims(gov), levels=levels, unmet_dimensions=unmet),
                case,
                at=at,
            )
    await harness.settle()
    body = await harness.json("/v1/gaps/needs", "funder.se")
    rows = {(r["governorate"], r["dimension"]): r for r in body["rows"]}
    assert (
        rows[("IQ-AR", "psychosocial")]["needs_assessed"],
        rows[("IQ-AR", "psychosocial")]["needs_unmet"],
    ) == (
        7,
        7,
    )
    assert (
        rows[("IQ-AR", "economic")]["needs_assessed"] == 12
        and rows[("IQ-AR", "economic")]["needs_unmet"] == 0
    )
    assert ("IQ-AR", "social") not in rows  # level 0 is no need
    assert rows[("IQ-NI", "economic")]["unmet_share"] == 1.0
    assert rows[("IQ-BG", "psychosocial")]["needs_unmet"] is None
    march = await harness.json(
        "/v1/gaps/needs", governorate="IQ-AR", **{"from": "2025-03-01", "to": "2025-03-31"}
    )
    assert {r["dimension"]: r["needs_assessed"] for r in march["rows"]} == {
        "economic": 7,
        "psychosocial": 7,
        None: 14,
    }
    by_month = await harness.json("/v1/gaps/needs", by="month", dimension="economic")
    assert [(r["month"], r["needs_assessed"], r["needs_unmet"]) for r in by_month["rows"]] == [
        ("2025-03", 13, 6),
        ("2025-04", 5, 0),
    ]
    r = await harness.get("funder.se", "/v1/gaps/needs", dimension="teleportation")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#query/dimension"
    supply = await harness.json("/v1/gaps/supply")
    assert not any("not counted" in n for n in supply["notes"])


async def test_an_mrc_opens_with_the_earliest_programme_it_implements_or_that_funds_it(
    harness: Harness,
) -> None:
    mrc_su = uuid.uuid5(uuid.NAMESPACE_URL, "urn:test:mrc-su")
    await harness.directory(
        *demo_directory(),
        organization(mrc_su, "MRC Sulaymaniyah", "migrant_resource_centre"),
        location("mrc-su", mrc_su, "IQ-SU"),
        service("mrc-su-info", mrc_su, ["housing"], ["IQ-SU"]),
        programme("si-com", ["SE"], ["mrc-su-info"], starts=date(2024, 6, 1), ends=date(2026, 5, 31)),
    )
    body = await harness.json("/v1/timeline", "funder.se")
    mrcs = {r["name"]: r for r in body["rows"] if r["kind"] == "mrc"}
    assert mrcs["MRC Sulaymaniyah"]["starts_on"] == "2024-06-01"  # funds its service, implements nothing
    assert mrcs["MRC Sulaymaniyah"]["funders"] == "SE" and mrcs["MRC Sulaymaniyah"]["own"] is True
    assert mrcs["MRC Erbil"]["starts_on"] == "2024-01-01"
    assert "proxy" in body["notes"][0]
    spec = (await harness.http.get("/openapi.json")).json()
    assert "earliest start" in spec["paths"]["/v1/timeline"]["get"]["description"]
    later = await harness.json("/v1/timeline", to="2024-03-31")
    assert "MRC Sulaymaniyah" not in {r["name"] for r in later["rows"]}


async def test_overlap_is_ranked_in_pages_with_a_cursor(harness: Harness) -> None:
    await harness.directory(
        *demo_directory(),
        service("ettc-jobs", ETTC, ["job-placement", "cash-grant"], ["IQ-AR", "IQ-DA"]),
        programme("no-jobs", ["NO"], ["ettc-jobs"]),
    )
    everything = await harness.json("/v1/overlap", limit=1000)
    assert everything["total"] == 4 and everything["next_cursor"] is None
    assert [r["rank"] for r in everything["rows"]] == [1, 2, 3, 4]
    first = await harness.json("/v1/overlap", limit=3)
    assert [r["rank"] for r in first["rows"]] == [1, 2, 3] and first["total"] == 4
    assert first["rows"][0]["services"] == 3  # the largest first: three services in Erbil's cash grants
    second = await harness.json("/v1/overlap", limit=3, cursor=first["next_cursor"])
    assert [r["rank"] for r in second["rows"]] == [4] and second["next_cursor"] is None
    assert first["rows"] + second["rows"] == everything["rows"]
    assert set(second["programmes"]) == set(second["rows"][0]["programme_ids"])
    csv = await harness.get("steering.noraq", "/v1/overlap", format="csv")
    assert len(csv.text.splitlines()) == 2 + 4  # an export holds every overlap
    for bad in ("nonsense", "cmFuazotMQ"):  # the second is "rank:-1"
        r = await harness.get("funder.se", "/v1/overlap", cursor=bad)
        assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#query/cursor"
    r = await harness.get("funder.se", "/v1/overlap", limit=0)
    assert r.status_code == 422


async def test_a_stale_snapshot_answers_at_once_while_the_next_is_built(
    coordination_db: str, servers: RunningServers, idp_url: str, tokens: dict[str, str]
) -> None:
    settings = make_settings(coordination_db, servers, idp_url, snapshot_max_stale_s=600)
    async with serve(settings, tokens) as h:
        await h.directory(*demo_directory())
        await h.refs(referrals(6))
        cache = h.app.state.snapshots
        assert (await h.json("/v1/funnel"))["rows"][-1]["sent"] == 6  # the first build: waited for
        builds = cache.builds
        await h.refs(referrals(7))
        # Behind the read model: answered from the previous snapshot, a new one is being built.
        assert (await h.json("/v1/funnel"))["rows"][-1]["sent"] == 6
        await cache.refreshed()
        assert cache.builds == builds + 1
        assert (await h.json("/v1/funnel"))["rows"][-1]["sent"] == 13
        # A new k is never answered from a snapshot suppressed with the old one.
        r = await h.http.put("/v1/suppression", json={"k": 14}, headers=h.auth("steering.noraq"))
        assert r.status_code == 200
        assert (await h.json("/v1/funnel"))["rows"][-1]["sent"] is None
