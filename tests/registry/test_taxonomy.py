"""The reintegration taxonomy: steering admins write it; every term has a dimension."""

from __future__ import annotations

import uuid

from tests.registry.demo import (
    COUNSELLOR,
    PLATFORM,
    PROVIDER_ADMIN,
    PSYCHOSOCIAL_TERM,
    RWANGA_PSYCHOSOCIAL,
    STEERING,
)
from tests.registry.harness import Api

NEW_TERM = {
    "code": "peer-support",
    "dimension": "psychosocial",
    "name": {"en": "Peer support groups", "ar": "مجموعات دعم الأقران", "ckb": "گرووپی پاڵپشتی هاوتەمەن"},
    "parent_id": str(PSYCHOSOCIAL_TERM),
}


async def test_terms_are_listed_by_dimension_and_searchable(api: Api) -> None:
    r = await api.get("/v1/taxonomy-terms", params={"per_page": 100})
    terms = r.json()["items"]
    assert len(terms) == 13
    assert {t["dimension"] for t in terms} == {
        "economic",
        "social",
        "psychosocial",
        "arrival_reception",
        "information_counselling",
    }
    assert all(t["name"].get("en") and t["name"].get("ar") and t["name"].get("ckb") for t in terms)
    r = await api.get("/v1/taxonomy-terms", params={"dimension": "psychosocial"})
    assert [t["code"] for t in r.json()["items"]] == ["psychosocial-counselling"]
    r = await api.get("/v1/taxonomy-terms", params={"q": "الاستقبال"})
    assert [t["code"] for t in r.json()["items"]] == ["airport-reception"]
    assert (await api.get(f"/v1/taxonomy-terms/{PSYCHOSOCIAL_TERM}")).json()[
        "code"
    ] == "psychosocial-counselling"


async def test_steering_admin_writes_others_may_not(api: Api) -> None:
    for user in (PROVIDER_ADMIN, PLATFORM, COUNSELLOR):
        assert (await api.post("/v1/taxonomy-terms", json=NEW_TERM, as_=user)).status_code == 403
    r = await api.post("/v1/taxonomy-terms", json=NEW_TERM, as_=STEERING)
    assert r.status_code == 201, r.text
    term = r.json()
    assert term["parent_id"] == str(PSYCHOSOCIAL_TERM)
    r = await api.post("/v1/taxonomy-terms", json=NEW_TERM, as_=STEERING)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/code"
    children = await api.get("/v1/taxonomy-terms", params={"parent_id": str(PSYCHOSOCIAL_TERM)})
    assert [t["code"] for t in children.json()["items"]] == ["peer-support"]
    top = await api.get("/v1/taxonomy-terms", params={"top_only": True, "per_page": 100})
    assert "peer-support" not in {t["code"] for t in top.json()["items"]}
    path = f"/v1/taxonomy-terms/{term['id']}"
    tag = r.headers.get("ETag") or await api.etag(path)
    assert (
        await api.patch(path, json={"dimension": "social"}, headers={"If-Match": '"1"'}, as_=PROVIDER_ADMIN)
    ).status_code == 403
    r = await api.patch(path, json={"dimension": "social"}, headers={"If-Match": '"1"'}, as_=STEERING)
    assert r.status_code == 200 and r.json()["dimension"] == "social"
    assert (
        await api.patch(path, json={"code": "renamed"}, headers={"If-Match": '"2"'}, as_=STEERING)
    ).status_code == 422
    assert tag


async def test_renaming_a_term_reaches_search_and_deactivating_hides_it(api: Api) -> None:
    path = f"/v1/taxonomy-terms/{PSYCHOSOCIAL_TERM}"
    tag = await api.etag(path)
    r = await api.patch(
        path,
        headers={"If-Match": tag},
        as_=STEERING,
        json={"name": {"en": "Mental health and psychosocial support", "ar": "الصحة النفسية"}},
    )
    assert r.status_code == 200
    found = await api.get("/v1/services", params={"q": "mental health"})
    assert str(RWANGA_PSYCHOSOCIAL) in {h["id"] for h in found.json()["items"]}
    assert (await api.post(f"{path}/deactivate", as_=STEERING)).status_code == 428
    r = await api.post(f"{path}/deactivate", headers={"If-Match": r.headers["ETag"]}, as_=STEERING)
    assert r.status_code == 200 and r.json()["active"] is False
    r = await api.get("/v1/services", params={"taxonomy_term": "psychosocial-counselling"})
    assert r.status_code == 422  # no longer an active code
    r = await api.get("/v1/services", params={"dimension": "psychosocial"})
    assert r.json()["total"] == 0


async def test_parent_must_exist_and_not_make_a_cycle(api: Api) -> None:
    r = await api.post("/v1/taxonomy-terms", json={**NEW_TERM, "parent_id": str(uuid.uuid4())}, as_=STEERING)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/parent_id"
    child = (await api.post("/v1/taxonomy-terms", json=NEW_TERM, as_=STEERING)).json()
    tag = await api.etag(f"/v1/taxonomy-terms/{PSYCHOSOCIAL_TERM}")
    r = await api.patch(
        f"/v1/taxonomy-terms/{PSYCHOSOCIAL_TERM}",
        json={"parent_id": child["id"]},
        headers={"If-Match": tag},
        as_=STEERING,
    )
    assert r.status_code == 422 and "ancestor" in r.json()["errors"][0]["detail"]
    bad = {**NEW_TERM, "code": "Not A Code", "dimension": "spiritual"}
    r = await api.post("/v1/taxonomy-terms", json=bad, as_=STEERING)
    assert {e["pointer"] for e in r.json()["errors"]} == {"/code", "/dimension"}
