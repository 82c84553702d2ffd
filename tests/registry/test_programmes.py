"""Programmes: steering admins write them; periods, funders and links are checked."""

from __future__ import annotations

import uuid
from typing import Any

from tests.registry.demo import (
    COUNSELLOR,
    ETTC,
    ETTC_BUSINESS,
    FRONTEX,
    PLATFORM,
    PROVIDER_ADMIN,
    RWANGA,
    RWANGA_PSYCHOSOCIAL,
    SE_GRANT,
    SI_COM,
    STEERING,
)
from tests.registry.harness import Api


def new_programme(**overrides: Any) -> dict[str, Any]:
    return {
        "name": {"en": "Finnish psychosocial pilot", "ar": "برنامج تجريبي للدعم النفسي"},
        "funder_countries": ["FI"],
        "funding_instruments": ["amif"],
        "thematic_areas": ["return_reintegration"],
        "target_group": "funder_country_returnees",
        "eligible_return_types": ["voluntary_assisted", "self_initiated"],
        "starts_on": "2025-01-01",
        "ends_on": "2026-12-31",
        "implementing_organization_ids": [str(RWANGA)],
        "service_ids": [str(RWANGA_PSYCHOSOCIAL)],
        **overrides,
    }


async def test_read_and_filter(api: Api) -> None:
    r = await api.get("/v1/programmes", params={"per_page": 100})
    assert r.json()["total"] == 9
    starts = [p["starts_on"] for p in r.json()["items"]]
    assert starts == sorted(starts)
    si_com = (await api.get(f"/v1/programmes/{SI_COM}", as_=COUNSELLOR)).json()
    assert si_com["funder_countries"] == ["SE"]
    assert (si_com["starts_on"], si_com["ends_on"]) == ("2024-06-01", "2026-05-31")
    swedish = await api.get("/v1/programmes", params={"funder": "SE"})
    assert {p["id"] for p in swedish.json()["items"]} >= {str(SI_COM), str(SE_GRANT)}
    running = await api.get("/v1/programmes", params={"running_on": "2021-06-01", "per_page": 100})
    assert str(SI_COM) not in {p["id"] for p in running.json()["items"]}
    by_service = await api.get("/v1/programmes", params={"service_id": str(ETTC_BUSINESS)})
    assert [p["id"] for p in by_service.json()["items"]] == [str(FRONTEX)]
    by_org = await api.get("/v1/programmes", params={"organization_id": str(ETTC)})
    assert [p["id"] for p in by_org.json()["items"]] == [str(FRONTEX)]
    capacity = await api.get("/v1/programmes", params={"thematic_area": "capacity_support"})
    assert capacity.json()["total"] == 2


async def test_steering_admin_writes_others_may_not(api: Api) -> None:
    for user in (PROVIDER_ADMIN, PLATFORM, COUNSELLOR):
        assert (await api.post("/v1/programmes", json=new_programme(), as_=user)).status_code == 403
    r = await api.post("/v1/programmes", json=new_programme(), as_=STEERING)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["service_ids"] == [str(RWANGA_PSYCHOSOCIAL)]
    # The service is now findable by the new programme and its funder.
    hits = await api.get("/v1/services", params={"funder": "FI"})
    assert str(RWANGA_PSYCHOSOCIAL) in {h["id"] for h in hits.json()["items"]}
    path = f"/v1/programmes/{created['id']}"
    assert (
        await api.patch(path, json={"ends_on": "2027-06-30"}, headers={"If-Match": '"1"'}, as_=PROVIDER_ADMIN)
    ).status_code == 403
    r = await api.patch(
        path, json={"ends_on": "2027-06-30", "service_ids": []}, headers={"If-Match": '"1"'}, as_=STEERING
    )
    assert r.status_code == 200 and r.json()["ends_on"] == "2027-06-30" and r.json()["service_ids"] == []
    hits = await api.get("/v1/services", params={"funder": "FI"})
    assert str(RWANGA_PSYCHOSOCIAL) not in {h["id"] for h in hits.json()["items"]}
    assert (
        await api.patch(path, json={"ends_on": "2028-01-01"}, headers={"If-Match": '"1"'}, as_=STEERING)
    ).status_code == 412
    assert (
        await api.post(f"{path}/deactivate", headers={"If-Match": '"2"'}, as_=PROVIDER_ADMIN)
    ).status_code == 403
    r = await api.post(f"{path}/deactivate", headers={"If-Match": '"2"'}, as_=STEERING)
    assert r.status_code == 200 and r.json()["active"] is False


async def test_end_before_start_and_unknown_links_are_422(api: Api) -> None:
    r = await api.post(
        "/v1/programmes",
        as_=STEERING,
        json=new_programme(
            ends_on="2024-12-31",
            funder_countries=["XX"],
            eligible_return_types=[],
            funding_instruments=["lottery"],
        ),
    )
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {
        "/ends_on",
        "/funder_countries/0",
        "/eligible_return_types",
        "/funding_instruments/0",
    }
    r = await api.post(
        "/v1/programmes",
        as_=STEERING,
        json=new_programme(
            implementing_organization_ids=[str(uuid.uuid4())],
            service_ids=[str(RWANGA_PSYCHOSOCIAL), str(uuid.uuid4())],
        ),
    )
    assert r.status_code == 422
    assert [e["pointer"] for e in r.json()["errors"]] == [
        "/implementing_organization_ids/0",
        "/service_ids/1",
    ]
    # An update may move the start past the end: checked on the result.
    r = await api.patch(
        f"/v1/programmes/{SI_COM}",
        json={"starts_on": "2027-01-01"},
        headers={"If-Match": await api.etag(f"/v1/programmes/{SI_COM}")},
        as_=STEERING,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/ends_on"
