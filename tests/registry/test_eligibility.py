"""Eligibility rules and benefits, cost-of-living factors, exchange rates."""

from __future__ import annotations

from typing import Any

from tests.registry.demo import (
    COUNSELLOR,
    ETTC_BUSINESS,
    FRONTEX,
    PLATFORM,
    PROVIDER_ADMIN,
    RWANGA_PSYCHOSOCIAL,
    RWANGA_YOUTH,
    SE_GRANT,
    STEERING,
)
from tests.registry.harness import Api


async def test_rules_are_read_by_everyone(api: Api) -> None:
    r = await api.get(f"/v1/programmes/{FRONTEX}/rules", as_=COUNSELLOR)
    assert [(x["kind"], x["params"]) for x in r.json()] == [("arrival_within_months", {"months": 12})]
    r = await api.get(f"/v1/services/{RWANGA_YOUTH}/rules", as_=COUNSELLOR)
    assert [(x["kind"], x["params"]) for x in r.json()] == [("age_range", {"minimum": 18, "maximum": 35})]
    rule = r.json()[0]
    one = await api.get(f"/v1/rules/{rule['id']}")
    assert one.json() == rule and one.headers["ETag"] == '"1"'


async def test_who_writes_rules(api: Api) -> None:
    gender = {"kind": "gender", "genders": ["female"]}
    for user in (PROVIDER_ADMIN, PLATFORM, COUNSELLOR):
        assert (await api.post(f"/v1/programmes/{FRONTEX}/rules", json=gender, as_=user)).status_code == 403
    r = await api.post(f"/v1/programmes/{FRONTEX}/rules", json=gender, as_=STEERING)
    assert r.status_code == 201, r.text
    programme_rule = r.json()
    for user in (STEERING, COUNSELLOR):
        assert (
            await api.post(f"/v1/services/{RWANGA_PSYCHOSOCIAL}/rules", json=gender, as_=user)
        ).status_code == 403
    assert (
        await api.post(f"/v1/services/{ETTC_BUSINESS}/rules", json=gender, as_=PROVIDER_ADMIN)
    ).status_code == 403
    r = await api.post(f"/v1/services/{RWANGA_PSYCHOSOCIAL}/rules", json=gender, as_=PROVIDER_ADMIN)
    assert r.status_code == 201
    service_rule = r.json()
    # Replacing and deactivating: the owner's writers only, with If-Match.
    path = f"/v1/rules/{service_rule['id']}"
    both = {"kind": "gender", "genders": ["female", "male"]}
    assert (await api.put(path, json=both, as_=PROVIDER_ADMIN)).status_code == 428
    assert (await api.put(path, json=both, headers={"If-Match": '"1"'}, as_=STEERING)).status_code == 403
    r = await api.put(path, json=both, headers={"If-Match": '"1"'}, as_=PROVIDER_ADMIN)
    assert (
        r.status_code == 200
        and r.json()["params"] == {"genders": ["female", "male"]}
        and r.json()["version"] == 2
    )
    assert (
        await api.put(path, json=both, headers={"If-Match": '"1"'}, as_=PROVIDER_ADMIN)
    ).status_code == 412
    r = await api.post(f"{path}/deactivate", headers={"If-Match": '"2"'}, as_=PROVIDER_ADMIN)
    assert r.status_code == 200 and r.json()["active"] is False
    rules = await api.get(f"/v1/services/{RWANGA_PSYCHOSOCIAL}/rules")
    assert rules.json() == []
    rules = await api.get(f"/v1/services/{RWANGA_PSYCHOSOCIAL}/rules", params={"include_deactivated": True})
    assert len(rules.json()) == 1
    r = await api.post(
        f"/v1/rules/{programme_rule['id']}/deactivate", headers={"If-Match": '"1"'}, as_=PROVIDER_ADMIN
    )
    assert r.status_code == 403


async def test_rules_that_could_never_match_are_refused(api: Api) -> None:
    async def refused(owner: str, rule: dict[str, Any], as_: str) -> list[str]:
        r = await api.post(f"{owner}/rules", json=rule, as_=as_)
        assert r.status_code == 422, (rule, r.text)
        return [e["pointer"] for e in r.json()["errors"]]

    grant = f"/v1/programmes/{SE_GRANT}"
    youth = f"/v1/services/{RWANGA_YOUTH}"
    # The grant is for return migration with a permit only.
    assert await refused(grant, {"kind": "return_type", "return_types": ["forced"]}, STEERING) == [
        "/return_types"
    ]
    # The grant is for returnees from Sweden only.
    assert await refused(grant, {"kind": "country_returned_from", "countries": ["DE"]}, STEERING) == [
        "/countries"
    ]
    assert await refused(youth, {"kind": "age_range", "minimum": 50, "maximum": 40}, PROVIDER_ADMIN) == [
        "/maximum"
    ]
    # The youth service has an 18–35 age rule already.
    assert await refused(youth, {"kind": "age_range", "minimum": 40}, PROVIDER_ADMIN) == ["/minimum"]
    assert await refused(youth, {"kind": "household_size", "maximum": 0}, PROVIDER_ADMIN) == ["/maximum"]
    assert await refused(youth, {"kind": "age_range"}, PROVIDER_ADMIN) == ["/minimum"]
    assert await refused(youth, {"kind": "gender", "genders": []}, PROVIDER_ADMIN) == ["/genders"]
    # The youth service works in Erbil and Duhok only.
    assert await refused(youth, {"kind": "governorate", "governorates": ["IQ-BG"]}, PROVIDER_ADMIN) == [
        "/governorates"
    ]
    assert await refused(youth, {"kind": "age_range", "minimum": 20, "months": 3}, PROVIDER_ADMIN) == [
        "/months"
    ]
    r = await api.post(
        f"{youth}/rules", json={"kind": "nationality", "countries": ["IQ"]}, as_=PROVIDER_ADMIN
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/kind"
    # A programme change may not strand a rule either.
    assert (
        await api.post(
            f"/v1/programmes/{FRONTEX}/rules",
            json={"kind": "return_type", "return_types": ["forced"]},
            as_=STEERING,
        )
    ).status_code == 201
    tag = await api.etag(f"/v1/programmes/{FRONTEX}")
    r = await api.patch(
        f"/v1/programmes/{FRONTEX}",
        json={"eligible_return_types": ["voluntary_assisted"]},
        headers={"If-Match": tag},
        as_=STEERING,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/eligible_return_types"


async def test_benefits_need_amount_and_currency_and_sensible_top_ups(api: Api) -> None:
    programme = f"/v1/programmes/{SE_GRANT}/benefits"
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"kind": "cash", "amount": "100"}, ["/currency"]),
        ({"kind": "cash", "currency": "SEK"}, ["/amount"]),
        ({"kind": "cash", "amount": "100", "currency": "XYZ"}, ["/currency"]),
        ({"kind": "cash", "amount": "-5", "currency": "SEK"}, ["/amount"]),
        ({"kind": "top_up", "amount": "100", "currency": "SEK"}, ["/tops_up_programme_id"]),
        (
            {"kind": "top_up", "amount": "100", "currency": "SEK", "tops_up_programme_id": str(SE_GRANT)},
            ["/tops_up_programme_id"],
        ),
        (
            {"kind": "cash", "amount": "100", "currency": "SEK", "tops_up_programme_id": str(FRONTEX)},
            ["/tops_up_programme_id"],
        ),
        ({"kind": "in_kind"}, ["/description"]),
    ]
    for body, pointers in cases:
        r = await api.post(programme, json=body, as_=STEERING)
        assert r.status_code == 422, body
        assert [e["pointer"] for e in r.json()["errors"]] == pointers, body
    r = await api.post(
        f"/v1/services/{RWANGA_PSYCHOSOCIAL}/benefits",
        as_=PROVIDER_ADMIN,
        json={"kind": "top_up", "amount": "1", "currency": "EUR", "tops_up_programme_id": str(FRONTEX)},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/kind"


async def test_who_writes_benefits(api: Api) -> None:
    travel = {"kind": "in_kind", "description": {"en": "Journey home paid"}}
    for user in (PROVIDER_ADMIN, PLATFORM, COUNSELLOR):
        assert (
            await api.post(f"/v1/programmes/{SE_GRANT}/benefits", json=travel, as_=user)
        ).status_code == 403
    r = await api.post(f"/v1/programmes/{SE_GRANT}/benefits", json=travel, as_=STEERING)
    assert r.status_code == 201, r.text
    listed = await api.get(f"/v1/programmes/{SE_GRANT}/benefits", as_=COUNSELLOR)
    assert {b["kind"] for b in listed.json()} == {"cash", "in_kind"}
    kit = {"kind": "in_kind", "amount": "150", "currency": "USD", "description": {"en": "Hygiene kit"}}
    assert (
        await api.post(f"/v1/services/{ETTC_BUSINESS}/benefits", json=kit, as_=PROVIDER_ADMIN)
    ).status_code == 403
    r = await api.post(f"/v1/services/{RWANGA_PSYCHOSOCIAL}/benefits", json=kit, as_=PROVIDER_ADMIN)
    assert r.status_code == 201
    benefit = r.json()
    path = f"/v1/benefits/{benefit['id']}"
    assert (await api.get(path)).json() == benefit
    assert (await api.get(f"/v1/services/{RWANGA_PSYCHOSOCIAL}/benefits")).json() == [benefit]
    r = await api.put(path, json={**kit, "amount": "175"}, headers={"If-Match": '"1"'}, as_=PROVIDER_ADMIN)
    assert r.status_code == 200 and r.json()["amount"] == "175.00"
    assert (await api.put(path, json=kit, headers={"If-Match": '"2"'}, as_=STEERING)).status_code == 403
    assert (await api.post(f"{path}/deactivate", as_=PROVIDER_ADMIN)).status_code == 428
    r = await api.post(f"{path}/deactivate", headers={"If-Match": '"2"'}, as_=PROVIDER_ADMIN)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await api.get(f"/v1/services/{RWANGA_PSYCHOSOCIAL}/benefits")).json() == []


async def test_cost_of_living_factors(api: Api) -> None:
    factors = {f["governorate_code"]: f for f in (await api.get("/v1/cost-of-living", as_=COUNSELLOR)).json()}
    assert len(factors) == 19 and "IQ-HAL" in factors
    assert factors["IQ-SU"]["factor"] == "1.150" and factors["IQ-SU"]["is_set"]
    assert factors["IQ-MU"]["factor"] == "1" and not factors["IQ-MU"]["is_set"]
    for user in (PROVIDER_ADMIN, PLATFORM):
        assert (
            await api.put("/v1/cost-of-living/IQ-MU", json={"factor": "0.9"}, as_=user)
        ).status_code == 403
    r = await api.put("/v1/cost-of-living/IQ-MU", json={"factor": "0.9"}, as_=STEERING)
    assert r.status_code == 200 and r.json()["factor"] == "0.900" and r.headers["ETag"] == '"1"'
    assert (
        await api.put("/v1/cost-of-living/IQ-SU", json={"factor": "1.3"}, as_=STEERING)
    ).status_code == 428
    assert (
        await api.put(
            "/v1/cost-of-living/IQ-SU", json={"factor": "1.3"}, headers={"If-Match": '"7"'}, as_=STEERING
        )
    ).status_code == 412
    r = await api.put(
        "/v1/cost-of-living/IQ-SU", json={"factor": "1.3"}, headers={"If-Match": '"1"'}, as_=STEERING
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    assert (
        await api.put(
            "/v1/cost-of-living/IQ-KI", json={"factor": "1"}, headers={"If-Match": '"1"'}, as_=STEERING
        )
    ).status_code == 412
    r = await api.put("/v1/cost-of-living/IQ-XX", json={"factor": "0"}, as_=STEERING)
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {"#path/governorate_code", "/factor"}


async def test_exchange_rates(api: Api) -> None:
    rates = {r["currency"]: r for r in (await api.get("/v1/exchange-rates")).json()}
    assert rates["SEK"]["iqd_per_unit"] == "125.000000"
    assert (
        await api.put(
            "/v1/exchange-rates/GBP", json={"iqd_per_unit": "1650", "as_of": "2025-03-01"}, as_=PROVIDER_ADMIN
        )
    ).status_code == 403
    r = await api.put(
        "/v1/exchange-rates/GBP", json={"iqd_per_unit": "1650", "as_of": "2025-03-01"}, as_=STEERING
    )
    assert r.status_code == 200 and r.json()["currency"] == "GBP"
    assert (
        await api.put(
            "/v1/exchange-rates/SEK", json={"iqd_per_unit": "130", "as_of": "2025-03-01"}, as_=STEERING
        )
    ).status_code == 428
    r = await api.put(
        "/v1/exchange-rates/SEK",
        json={"iqd_per_unit": "130", "as_of": "2025-03-01"},
        headers={"If-Match": '"1"'},
        as_=STEERING,
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    r = await api.put("/v1/exchange-rates/QQQ", json={"iqd_per_unit": "-1", "as_of": "soon"}, as_=STEERING)
    assert {e["pointer"] for e in r.json()["errors"]} == {"#path/currency", "/iqd_per_unit", "/as_of"}
