"""POST /v1/entitlements: every programme and service, eligible or not, with each reason, in IQD."""

from __future__ import annotations

from typing import Any

from tests.registry.demo import (
    COUNSELLOR,
    FRONTEX,
    NO_TOP_UP,
    RWANGA_BUSINESS,
    RWANGA_YOUTH,
    SE_GRANT,
    SE_TOP_UP,
    SI_COM,
    STEERING,
)
from tests.registry.harness import Api

# A family of four back from Sweden to Sulaymaniyah (voluntary, assisted), asked about in June 2025.
FROM_SWEDEN = {
    "return_type": "voluntary_assisted",
    "returned_from": "SE",
    "governorate_code": "IQ-SU",
    "age": 34,
    "gender": "male",
    "household_size": 4,
    "arrival_date": "2025-01-15",
    "on_date": "2025-06-01",
}


async def ask(api: Api, profile: dict[str, Any], **params: Any) -> dict[str, Any]:
    r = await api.post("/v1/entitlements", json=profile, params=params, as_=COUNSELLOR)
    assert r.status_code == 200, r.text
    return r.json()


def programme(answer: dict[str, Any], pid: object) -> dict[str, Any]:
    return next(p for p in answer["programmes"] if p["programme_id"] == str(pid))


def service(answer: dict[str, Any], sid: object) -> dict[str, Any]:
    return next(s for s in answer["services"] if s["service_id"] == str(sid))


def rule(entry: dict[str, Any], criterion: str) -> dict[str, Any]:
    return next(r for r in entry["rules"] if r["criterion"] == criterion)


async def test_family_from_sweden_in_sulaymaniyah(api: Api) -> None:
    answer = await ask(api, FROM_SWEDEN)
    assert answer["evaluated_on"] == "2025-06-01"
    assert answer["cost_of_living_factor"] == "1.150"
    frontex = programme(answer, FRONTEX)
    assert frontex["eligible"] is True
    assert all(r["matched"] for r in frontex["rules"])
    assert "within 12 months" in rule(frontex, "arrival_within_months")["reason"]
    cash = next(b for b in frontex["benefits"] if b["kind"] == "cash")
    # 615 EUR per household, the same everywhere (no factor), × 1420 IQD/EUR = 873 300 → 873 250 (250s).
    assert (cash["amount_iqd"], cash["cost_of_living_factor"], cash["applies"]) == (873_250, "1", True)
    assert "not adjusted" in cash["reason"]
    in_kind = next(b for b in frontex["benefits"] if b["kind"] == "in_kind")
    assert in_kind["amount_iqd"] == 3_266_000  # 2000 EUR × 1.15 × 1420
    assert frontex["cash_total_iqd"] == 873_250  # in kind is not cash
    top_up = programme(answer, SE_TOP_UP)
    assert top_up["eligible"] is True
    benefit = top_up["benefits"][0]
    # 500 EUR per person × 4 persons × 1.15 × 1420 IQD/EUR.
    assert (benefit["units"], benefit["amount_iqd"], benefit["applies"]) == (4, 3_266_000, True)
    assert "Adds to Frontex joint reintegration services" in benefit["reason"]
    norwegian = programme(answer, NO_TOP_UP)
    assert norwegian["eligible"] is False
    target = rule(norwegian, "target_group")
    assert target["matched"] is False and "returned from SE" in target["reason"]
    assert norwegian["cash_total_iqd"] == 0 and norwegian["benefits"][0]["applies"] is False
    grant = programme(answer, SE_GRANT)
    assert grant["eligible"] is False
    assert rule(grant, "programme_return_types")["matched"] is False
    assert "voluntary_assisted is not one" in rule(grant, "programme_return_types")["reason"]
    si_com = programme(answer, SI_COM)
    assert si_com["eligible"] is True
    assert [s["name"]["en"] for s in si_com["services_nearby"]] == [
        "Counselling for returning migrants",
        "Help with civil documents",
    ]
    youth = service(answer, RWANGA_YOUTH)
    assert youth["eligible"] is False
    area = rule(youth, "service_area")
    assert area["matched"] is False and "not Sulaymaniyah" in area["reason"]
    assert rule(youth, "age_range")["matched"] is True
    business = service(answer, RWANGA_BUSINESS)
    assert business["eligible"] is True
    # 1 500 000 IQD per household × 1.15.
    assert business["benefits"][0]["amount_iqd"] == 1_725_000
    assert answer["cash_total_iqd"] == 873_250 + 3_266_000 + 1_725_000


async def test_return_migration_grant_is_fixed_per_person(api: Api) -> None:
    profile = {**FROM_SWEDEN, "return_type": "return_migration_with_permit", "household_size": 3}
    answer = await ask(api, profile, eligible_only=True)
    grant = programme(answer, SE_GRANT)
    # 10 000 SEK per person × 3, not adjusted, × 125 IQD/SEK.
    assert grant["benefits"][0]["amount_iqd"] == 3_750_000
    assert all(p["eligible"] for p in answer["programmes"]) and all(s["eligible"] for s in answer["services"])
    assert str(FRONTEX) not in {p["programme_id"] for p in answer["programmes"]}


async def test_a_top_up_needs_the_programme_it_tops_up(api: Api) -> None:
    # Frontex support now ends at 30; the Swedish top-up's own rules still admit a 34-year-old.
    r = await api.post(
        f"/v1/programmes/{FRONTEX}/rules", json={"kind": "age_range", "maximum": 30}, as_=STEERING
    )
    assert r.status_code == 201
    answer = await ask(api, FROM_SWEDEN)
    frontex = programme(answer, FRONTEX)
    assert frontex["eligible"] is False
    assert rule(frontex, "age_range")["reason"] == "Age 34 is above the maximum of 30."
    top_up = programme(answer, SE_TOP_UP)
    assert top_up["eligible"] is True
    assert top_up["benefits"][0]["applies"] is False
    assert "not eligible" in top_up["benefits"][0]["reason"]
    assert top_up["cash_total_iqd"] == 0


async def test_arrival_long_ago_and_programme_periods(api: Api) -> None:
    answer = await ask(api, {**FROM_SWEDEN, "arrival_date": "2023-01-15", "on_date": "2026-08-01"})
    frontex = programme(answer, FRONTEX)
    arrival = rule(frontex, "arrival_within_months")
    assert arrival["matched"] is False and "ended 2024-01-15" in arrival["reason"]
    si_com = programme(answer, SI_COM)
    period = rule(si_com, "programme_period")
    assert period["matched"] is False and period["reason"] == "The programme ended on 2026-05-31."


async def test_cost_of_living_factor_changes_the_amounts(api: Api) -> None:
    before = service(await ask(api, FROM_SWEDEN), RWANGA_BUSINESS)["benefits"][0]["amount_iqd"]
    tag = await api.put(
        "/v1/cost-of-living/IQ-SU", json={"factor": "1.300"}, headers={"If-Match": '"1"'}, as_=STEERING
    )
    assert tag.status_code == 200
    after = service(await ask(api, FROM_SWEDEN), RWANGA_BUSINESS)["benefits"][0]["amount_iqd"]
    assert (before, after) == (1_725_000, 1_950_000)
    # Where no factor is set, 1.000 applies and the answer says so.
    answer = await ask(api, {**FROM_SWEDEN, "governorate_code": "IQ-MU"})
    assert answer["cost_of_living_factor"] == "1"
    assert any("No cost-of-living factor" in n for n in answer["notes"])


async def test_missing_exchange_rate_is_said_not_guessed(api: Api) -> None:
    r = await api.post(
        f"/v1/programmes/{SE_TOP_UP}/benefits",
        as_=STEERING,
        json={
            "kind": "cash",
            "amount": "100",
            "currency": "GBP",
            "per": "household",
            "description": {"en": "Pilot"},
        },
    )
    assert r.status_code == 201
    answer = await ask(api, FROM_SWEDEN)
    pilot = next(b for b in programme(answer, SE_TOP_UP)["benefits"] if b["currency"] == "GBP")
    assert pilot["applies"] is True and pilot["amount_iqd"] is None
    assert "No exchange rate for GBP" in pilot["reason"]
    assert any("GBP" in n for n in answer["notes"])


async def test_profile_is_validated_field_by_field(api: Api) -> None:
    r = await api.post(
        "/v1/entitlements",
        as_=COUNSELLOR,
        json={
            **FROM_SWEDEN,
            "return_type": "deported",
            "returned_from": "XX",
            "governorate_code": "IQ-ZZ",
            "age": -1,
            "household_size": 0,
            "vulnerabilities": ["unknown"],
        },
    )
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {
        "/return_type",
        "/returned_from",
        "/governorate_code",
        "/age",
        "/household_size",
        "/vulnerabilities/0",
    }
