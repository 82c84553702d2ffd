"""The change history: who changed which field, from what to what; readable by admins only."""

from __future__ import annotations

from tests.registry.demo import (
    CASEWORKER_RWANGA,
    COUNSELLOR,
    DPO,
    ETTC_BUSINESS,
    FUNDER,
    PLATFORM,
    PROVIDER_ADMIN,
    RWANGA,
    RWANGA_PSYCHOSOCIAL,
    STEERING,
)
from tests.registry.harness import Api


async def test_every_field_change_is_recorded_with_who_and_when(api: Api) -> None:
    path = f"/v1/services/{RWANGA_PSYCHOSOCIAL}"
    tag = await api.etag(path)
    r = await api.patch(
        path,
        json={"languages": ["ar"], "referral_response_hours": 48},
        headers={"If-Match": tag},
        as_=PROVIDER_ADMIN,
    )
    version = r.json()["version"]
    await api.put(
        f"{path}/capacity",
        json={"open_places": 1},
        headers={"If-Match": r.headers["ETag"]},
        as_=CASEWORKER_RWANGA,
    )
    history = await api.get(
        "/v1/history", params={"entity_type": "service", "entity_id": str(RWANGA_PSYCHOSOCIAL)}, as_=PLATFORM
    )
    assert history.status_code == 200
    changes = history.json()["items"]
    capacity = [c for c in changes if c["action"] == "capacity"]
    assert {c["field"] for c in capacity} == {"open_places", "capacity_updated_at"}
    assert next(c for c in capacity if c["field"] == "open_places")["changed_by"] == CASEWORKER_RWANGA
    update = {c["field"]: c for c in changes if c["action"] == "updated"}
    assert set(update) == {"languages", "referral_response_hours"}
    assert update["languages"]["old_value"] == ["ckb", "kmr", "ar"] and update["languages"]["new_value"] == [
        "ar"
    ]
    assert (
        update["referral_response_hours"]["old_value"] == 168
        and update["referral_response_hours"]["new_value"] == 48
    )
    assert update["languages"]["version"] == version and update["languages"]["changed_by"] == PROVIDER_ADMIN
    created = [c for c in changes if c["action"] == "created"]
    assert created and all(c["changed_by"] == "registry-system" for c in created)
    # Newest first.
    assert [c["id"] for c in changes] == sorted((c["id"] for c in changes), reverse=True)


async def test_who_may_read_it(api: Api) -> None:
    for user in (COUNSELLOR, FUNDER, CASEWORKER_RWANGA):
        assert (await api.get("/v1/history", as_=user)).status_code == 403
    for user in (STEERING, PLATFORM, DPO):
        r = await api.get("/v1/history", params={"entity_type": "taxonomy_term"}, as_=user)
        assert r.status_code == 200 and r.json()["total"] > 0
    # A provider admin sees their own organization's entries, whatever they ask for.
    own = await api.get("/v1/history", params={"per_page": 100}, as_=PROVIDER_ADMIN)
    assert own.json()["total"] > 0
    assert {c["organization_id"] for c in own.json()["items"]} == {str(RWANGA)}
    other = await api.get("/v1/history", params={"entity_id": str(ETTC_BUSINESS)}, as_=PROVIDER_ADMIN)
    assert other.json()["total"] == 0
    since = await api.get("/v1/history", params={"since": "2999-01-01T00:00:00Z"}, as_=PLATFORM)
    assert since.json()["total"] == 0
