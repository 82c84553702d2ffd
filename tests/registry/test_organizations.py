"""Organizations: who may create, change and deactivate; ETags; the cascade on deactivation."""

from __future__ import annotations

import uuid

from tests.registry.demo import (
    CASEWORKER_RWANGA,
    COUNSELLOR,
    ETTC,
    FUNDER,
    PLATFORM,
    PROVIDER_ADMIN,
    RWANGA,
    RWANGA_PSYCHOSOCIAL,
    STEERING,
)
from tests.registry.harness import Api

NEW_ORG = {
    "kind": "community_initiative",
    "name": {"en": "Returnee Women's Circle", "ar": "حلقة النساء العائدات", "ckb": "بازنەی ژنانی گەڕاوە"},
    "description": {"en": "Peer support group."},
    "email": "circle@example.org",
    "website": "https://circle.example.org",
}


async def test_everyone_authenticated_reads_and_nobody_anonymous(api: Api) -> None:
    for user in (COUNSELLOR, FUNDER, CASEWORKER_RWANGA):
        r = await api.get(f"/v1/organizations/{RWANGA}", as_=user)
        assert r.status_code == 200
        assert r.json()["name"]["en"] == "Rwanga Foundation"
        assert r.headers["ETag"] == f'"{r.json()["version"]}"'
    r = await api.get(f"/v1/organizations/{RWANGA}", as_=None)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_list_searches_names_in_any_language_and_pages_stably(api: Api) -> None:
    r = await api.get("/v1/organizations", params={"q": "روانكة"})  # teh marbuta where heh was typed
    assert [o["id"] for o in r.json()["items"]] == [str(RWANGA)]
    r = await api.get("/v1/organizations", params={"q": "ڕوانگە"})  # Sorani spelling
    assert [o["id"] for o in r.json()["items"]] == [str(RWANGA)]
    r = await api.get("/v1/organizations", params={"kind": "migrant_resource_centre"})
    assert r.json()["total"] == 3
    first = await api.get("/v1/organizations", params={"per_page": 5, "page": 1})
    second = await api.get("/v1/organizations", params={"per_page": 5, "page": 2})
    everything = await api.get("/v1/organizations", params={"per_page": 100})
    ids = [o["id"] for o in first.json()["items"] + second.json()["items"]]
    assert ids == [o["id"] for o in everything.json()["items"]][:10]
    assert first.json()["total"] == everything.json()["total"] == 13
    assert first.json()["total_pages"] == 3


async def test_platform_admin_creates_others_may_not(api: Api) -> None:
    for user in (PROVIDER_ADMIN, STEERING, COUNSELLOR):
        r = await api.post("/v1/organizations", json=NEW_ORG, as_=user)
        assert r.status_code == 403, user
    r = await api.post("/v1/organizations", json=NEW_ORG, as_=PLATFORM)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["Location"] == f"/v1/organizations/{body['id']}"
    assert r.headers["ETag"] == '"1"'
    assert body["kind"] == "community_initiative" and body["active"]


async def test_provider_admin_changes_own_profile_only(api: Api) -> None:
    tag = await api.etag(f"/v1/organizations/{RWANGA}")
    r = await api.patch(
        f"/v1/organizations/{RWANGA}",
        json={"email": "new@rwanga.example"},
        headers={"If-Match": tag},
        as_=PROVIDER_ADMIN,
    )
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "new@rwanga.example"
    assert r.json()["version"] == int(tag.strip('"')) + 1
    # Not another organization's...
    other = await api.etag(f"/v1/organizations/{ETTC}")
    r = await api.patch(
        f"/v1/organizations/{ETTC}",
        json={"email": "x@example.org"},
        headers={"If-Match": other},
        as_=PROVIDER_ADMIN,
    )
    assert r.status_code == 403
    # ...and not the kind of its own.
    tag = r2_tag = await api.etag(f"/v1/organizations/{RWANGA}")
    r = await api.patch(
        f"/v1/organizations/{RWANGA}",
        json={"kind": "private_company"},
        headers={"If-Match": tag},
        as_=PROVIDER_ADMIN,
    )
    assert r.status_code == 403
    assert "kind" in r.json()["detail"]
    # A caseworker is no admin.
    r = await api.patch(
        f"/v1/organizations/{RWANGA}",
        json={"email": "y@example.org"},
        headers={"If-Match": r2_tag},
        as_=CASEWORKER_RWANGA,
    )
    assert r.status_code == 403


async def test_platform_admin_changes_kind_and_parent_without_cycles(api: Api) -> None:
    tag = await api.etag(f"/v1/organizations/{RWANGA}")
    r = await api.patch(
        f"/v1/organizations/{RWANGA}",
        json={"parent_organization_id": str(ETTC)},
        headers={"If-Match": tag},
        as_=PLATFORM,
    )
    assert r.status_code == 200
    tag = await api.etag(f"/v1/organizations/{ETTC}")
    r = await api.patch(
        f"/v1/organizations/{ETTC}",
        json={"parent_organization_id": str(RWANGA)},
        headers={"If-Match": tag},
        as_=PLATFORM,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/parent_organization_id"
    r = await api.patch(
        f"/v1/organizations/{ETTC}",
        json={"parent_organization_id": str(uuid.uuid4())},
        headers={"If-Match": tag},
        as_=PLATFORM,
    )
    assert r.status_code == 422


async def test_update_needs_if_match_and_a_stale_one_is_refused(api: Api) -> None:
    r = await api.patch(f"/v1/organizations/{RWANGA}", json={"email": "a@example.org"}, as_=PLATFORM)
    assert r.status_code == 428
    old = await api.etag(f"/v1/organizations/{RWANGA}")
    assert (
        await api.patch(
            f"/v1/organizations/{RWANGA}",
            json={"email": "b@example.org"},
            headers={"If-Match": old},
            as_=PLATFORM,
        )
    ).status_code == 200
    r = await api.patch(
        f"/v1/organizations/{RWANGA}",
        json={"email": "c@example.org"},
        headers={"If-Match": old},
        as_=PLATFORM,
    )
    assert r.status_code == 412
    assert r.json()["current_etag"] == r.headers["ETag"]
    assert (await api.get(f"/v1/organizations/{RWANGA}")).json()["email"] == "b@example.org"


async def test_conditional_get_answers_304(api: Api) -> None:
    tag = await api.etag(f"/v1/organizations/{RWANGA}")
    r = await api.get(f"/v1/organizations/{RWANGA}", headers={"If-None-Match": tag})
    assert r.status_code == 304
    r = await api.get(f"/v1/organizations/{RWANGA}", headers={"If-None-Match": '"999"'})
    assert r.status_code == 200


async def test_deactivating_an_organization_deactivates_its_services_and_locations(api: Api) -> None:
    tag = await api.etag(f"/v1/organizations/{RWANGA}")
    assert (
        await api.post(
            f"/v1/organizations/{RWANGA}/deactivate", as_=PROVIDER_ADMIN, headers={"If-Match": tag}
        )
    ).status_code == 403
    r = await api.post(f"/v1/organizations/{RWANGA}/deactivate", as_=PLATFORM, headers={"If-Match": tag})
    assert r.status_code == 200
    assert r.json()["active"] is False and r.json()["deactivated_at"]
    svc = (await api.get(f"/v1/services/{RWANGA_PSYCHOSOCIAL}")).json()
    assert svc["active"] is False
    locations = await api.get(
        "/v1/locations", params={"organization_id": str(RWANGA), "include_deactivated": True}
    )
    assert locations.json()["items"] and all(not loc["active"] for loc in locations.json()["items"])
    hits = await api.get("/v1/services", params={"organization_id": str(RWANGA)})
    assert hits.json()["total"] == 0
    listed = await api.get("/v1/organizations", params={"q": "rwanga"})
    assert listed.json()["total"] == 0
    listed = await api.get("/v1/organizations", params={"q": "rwanga", "include_deactivated": True})
    assert listed.json()["total"] == 1


async def test_unknown_organization_is_404(api: Api) -> None:
    r = await api.get(f"/v1/organizations/{uuid.uuid4()}")
    assert r.status_code == 404
    assert r.json()["type"] == "urn:hawkari:problem:not-found"
