"""Locations: provider admins write their own; governorate and district codes are checked."""

from __future__ import annotations

import uuid

from tests.registry.demo import (
    COUNSELLOR,
    ETTC,
    ETTC_ERBIL,
    PLATFORM,
    PROVIDER_ADMIN,
    RWANGA,
    RWANGA_DUHOK,
    RWANGA_PSYCHOSOCIAL,
    STEERING,
)
from tests.registry.harness import Api

HALABJA_OFFICE = {
    "organization_id": str(RWANGA),
    "name": {"en": "Rwanga Foundation, Halabja", "ckb": "دەزگای ڕوانگە - هەڵەبجە"},
    "governorate_code": "IQ-HAL",
    "district_code": "IQ-HAL-HAL",
    "address": "Halabja town centre",
    "latitude": 35.178,
    "longitude": 45.986,
}


async def test_create_read_list_update_deactivate(api: Api) -> None:
    r = await api.post("/v1/locations", json=HALABJA_OFFICE, as_=PROVIDER_ADMIN)
    assert r.status_code == 201, r.text
    loc = r.json()
    assert loc["governorate_code"] == "IQ-HAL" and loc["location_type"] == "physical"
    path = f"/v1/locations/{loc['id']}"
    assert (await api.get(path, as_=COUNSELLOR)).json() == loc
    listed = await api.get("/v1/locations", params={"governorate": "IQ-HAL"})
    assert [x["id"] for x in listed.json()["items"]] == [loc["id"]]
    r = await api.patch(
        path,
        json={"address": "Halabja, main street"},
        headers={"If-Match": r.headers["ETag"]},
        as_=PROVIDER_ADMIN,
    )
    assert r.status_code == 200 and r.json()["address"] == "Halabja, main street" and r.json()["version"] == 2
    r = await api.post(f"{path}/deactivate", headers={"If-Match": r.headers["ETag"]}, as_=PROVIDER_ADMIN)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await api.get("/v1/locations", params={"governorate": "IQ-HAL"})).json()["total"] == 0


async def test_other_roles_and_organizations_are_refused(api: Api) -> None:
    for user in (COUNSELLOR, STEERING, PLATFORM):
        assert (await api.post("/v1/locations", json=HALABJA_OFFICE, as_=user)).status_code == 403
    other = {**HALABJA_OFFICE, "organization_id": str(ETTC)}
    assert (await api.post("/v1/locations", json=other, as_=PROVIDER_ADMIN)).status_code == 403
    tag = await api.etag(f"/v1/locations/{ETTC_ERBIL}")
    r = await api.patch(
        f"/v1/locations/{ETTC_ERBIL}", json={"address": "x"}, headers={"If-Match": tag}, as_=PROVIDER_ADMIN
    )
    assert r.status_code == 403
    r = await api.post(
        f"/v1/locations/{ETTC_ERBIL}/deactivate", headers={"If-Match": tag}, as_=PROVIDER_ADMIN
    )
    assert r.status_code == 403


async def test_codes_are_checked(api: Api) -> None:
    bad = {**HALABJA_OFFICE, "governorate_code": "IQ-XX", "district_code": "IQ-AR-NOPE", "latitude": 123}
    r = await api.post("/v1/locations", json=bad, as_=PROVIDER_ADMIN)
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {"/governorate_code", "/district_code", "/latitude"}
    mismatched = {**HALABJA_OFFICE, "district_code": "IQ-AR-SOR"}
    r = await api.post("/v1/locations", json=mismatched, as_=PROVIDER_ADMIN)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/district_code"
    no_place = {k: v for k, v in HALABJA_OFFICE.items() if k not in ("governorate_code", "district_code")}
    r = await api.post("/v1/locations", json=no_place, as_=PROVIDER_ADMIN)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/governorate_code"
    # pycountry spells Erbil "Arbīl"; lower case codes are accepted as the same code.
    r = await api.post(
        "/v1/locations",
        json={**HALABJA_OFFICE, "governorate_code": "iq-ar", "district_code": None},
        as_=PROVIDER_ADMIN,
    )
    assert r.status_code == 201 and r.json()["governorate_code"] == "IQ-AR"


async def test_moving_a_location_moves_its_services_in_search(api: Api) -> None:
    # Rwanga's psychosocial service works in all four KR-I governorates; give it only Duhok's office.
    tag = await api.etag(f"/v1/services/{RWANGA_PSYCHOSOCIAL}")
    await api.patch(
        f"/v1/services/{RWANGA_PSYCHOSOCIAL}",
        headers={"If-Match": tag},
        as_=PROVIDER_ADMIN,
        json={"service_areas": [], "location_ids": [str(RWANGA_DUHOK)]},
    )
    found = await api.get("/v1/services", params={"governorate": "IQ-KI"})
    assert str(RWANGA_PSYCHOSOCIAL) not in {h["id"] for h in found.json()["items"]}
    tag = await api.etag(f"/v1/locations/{RWANGA_DUHOK}")
    r = await api.patch(
        f"/v1/locations/{RWANGA_DUHOK}",
        headers={"If-Match": tag},
        as_=PROVIDER_ADMIN,
        json={"governorate_code": "IQ-KI"},
    )
    assert r.status_code == 200
    assert r.json()["district_code"] is None  # the Duhok district no longer applies
    found = await api.get("/v1/services", params={"governorate": "IQ-KI"})
    assert str(RWANGA_PSYCHOSOCIAL) in {h["id"] for h in found.json()["items"]}


async def test_unknown_location_is_404(api: Api) -> None:
    assert (await api.get(f"/v1/locations/{uuid.uuid4()}")).status_code == 404
