"""The HSDS 3.0 feed, validated against the official schemas (hsds_schema/, CC BY-SA 4.0)."""

from __future__ import annotations

import copy
import json
from typing import Any

from services.registry.settings import RegistrySettings
from services.registry.taxonomy.models import TAXONOMY_ID
from tests.registry.demo import (
    ETTC,
    ETTC_BUSINESS,
    PLATFORM,
    PROVIDER_ADMIN,
    PSYCHOSOCIAL_TERM,
    RWANGA,
    RWANGA_BUSINESS,
    RWANGA_PSYCHOSOCIAL,
    RWANGA_YOUTH,
)
from tests.registry.harness import Api, Tokens, running_app
from tests.registry.hsds_validation import assert_valid, assert_valid_page, load, validate


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


async def test_about(api: Api) -> None:
    r = await api.get("/hsds/")
    assert r.json() == {
        "version": "3.0",
        "profile": "http://registry.test/hsds/profile",
        "openapi_url": "http://registry.test/openapi.json",
    }
    assert (await api.get("/openapi.json", as_=None)).status_code == 200


async def test_services_list_full_minimal_and_ndjson(api: Api) -> None:
    r = await api.get("/hsds/services", params={"per_page": 5})
    page = r.json()
    assert_valid_page(page, "compiled/service_list.json")
    assert (
        page["total_items"],
        page["total_pages"],
        page["size"],
        page["first_page"],
        page["last_page"],
    ) == (14, 3, 5, True, False)
    assert all(item["organization"]["id"] == item["organization_id"] for item in page["contents"])
    last = (await api.get("/hsds/services", params={"per_page": 5, "page": 3})).json()
    assert last["last_page"] is True and last["size"] == 4
    full = (await api.get("/hsds/services", params={"full": True, "per_page": 20})).json()
    assert_valid_page(full, "compiled/service_with_definitions.json")
    assert any(item["service_at_locations"] for item in full["contents"])
    minimal = (await api.get("/hsds/services", params={"minimal": True, "per_page": 20})).json()
    assert set(minimal["contents"][0]) == {"id", "last_modified"}
    r = await api.get("/hsds/services", params={"format": "ndjson"})
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == 14
    for line in lines:
        assert not validate(line, load("compiled/service_list.json"))


async def test_services_parameters(api: Api) -> None:
    async def ids(**params: Any) -> set[str]:
        r = await api.get("/hsds/services", params={"per_page": 100, **params})
        assert r.status_code == 200, r.text
        return {s["id"] for s in r.json()["contents"]}

    assert str(RWANGA_PSYCHOSOCIAL) in await ids(search="الارشاد النفسى")
    assert await ids(taxonomy_term_id=str(PSYCHOSOCIAL_TERM)) >= {str(RWANGA_PSYCHOSOCIAL)}
    assert await ids(taxonomy_id=str(TAXONOMY_ID)) == await ids()
    assert await ids(taxonomy_id="00000000-0000-0000-0000-000000000001") == set()
    assert await ids(organization_id=str(RWANGA)) == {
        str(RWANGA_PSYCHOSOCIAL),
        str(RWANGA_YOUTH),
        str(RWANGA_BUSINESS),
    }
    assert await ids(modified_after="2999-01-01T00:00:00Z") == set()
    # A consumer syncing changes also learns of a deactivation: status defunct.
    tag = await api.etag(f"/v1/services/{RWANGA_YOUTH}")
    await api.post(f"/v1/services/{RWANGA_YOUTH}/deactivate", headers={"If-Match": tag}, as_=PROVIDER_ADMIN)
    assert str(RWANGA_YOUTH) not in await ids()
    r = await api.get("/hsds/services", params={"modified_after": "2000-01-01T00:00:00Z", "per_page": 100})
    gone = next(s for s in r.json()["contents"] if s["id"] == str(RWANGA_YOUTH))
    assert gone["status"] == "defunct"
    assert (await api.get("/hsds/services", params={"per_page": 5000})).status_code == 422


async def test_one_service_fully_nested_with_the_profile(api: Api) -> None:
    doc = (await api.get(f"/hsds/services/{RWANGA_BUSINESS}")).json()
    assert_valid(doc, "compiled/service_with_definitions.json")
    assert doc["organization"]["name"] == "Rwanga Foundation"
    assert {a["taxonomy_term"]["code"] for a in doc["attributes"]} == {"business-start-up", "cash-grant"}
    assert {a["governorate_code"] for a in doc["service_areas"]} == {"IQ-AR", "IQ-SU", "IQ-DA", "IQ-HAL"}
    assert {lang["code"] for lang in doc["languages"]} == {"ckb", "ar"}
    assert doc["metadata"] and all(m["updated_by"] == "Hawkari registry" for m in doc["metadata"])
    # Profile additions.
    assert doc["accepts_referrals"] is True and doc["capacity"]["open_places"] == 4 and doc["stale"] is False
    assert {r["kind"] for r in doc["eligibility_rules"]} == {
        "arrival_within_months",
        "age_range",
        "governorate",
    }
    assert doc["benefits"][0]["currency"] == "IQD"
    assert doc["translations"]["ckb"]["name"] == "بەخششی پڕۆژەی بچووک"
    arabic = (await api.get(f"/hsds/services/{RWANGA_BUSINESS}", params={"lang": "ar"})).json()
    assert (
        arabic["name"] == "منح المشاريع الصغيرة"
        and arabic["translations"]["en"]["name"] == "Small business grants"
    )
    # The profile, applied to the official schema, accepts the document as well.
    profile = (await api.get("/hsds/profile/service.json")).json()
    patched = merge_patch(load("service.json"), profile)
    assert not validate(doc, patched)
    broken = {**doc, "capacity": "full", "eligibility_rules": [{"kind": "astrology"}]}
    assert validate(broken, patched)
    funded = (await api.get(f"/hsds/services/{ETTC_BUSINESS}")).json()
    assert funded["program"]["name"] == "Frontex joint reintegration services"
    assert funded["funding"][0]["source"].startswith("European Union — eu_frontex")
    link = funded["service_at_locations"][0]
    sal = (await api.get(f"/hsds/service_at_locations/{link['id']}")).json()
    assert_valid(sal, "service_at_location.json")
    assert sal["location_id"] == link["location_id"] and sal["service"]["id"] == str(ETTC_BUSINESS)
    assert (await api.get("/hsds/services/00000000-0000-0000-0000-000000000000")).status_code == 404


async def test_organizations(api: Api) -> None:
    page = (await api.get("/hsds/organizations", params={"per_page": 50})).json()
    assert_valid_page(page, "compiled/organization_list.json")
    assert page["total_items"] == 13
    found = (await api.get("/hsds/organizations", params={"search": "ڕوانگە"})).json()
    assert [o["id"] for o in found["contents"]] == [str(RWANGA)]
    full = (await api.get("/hsds/organizations", params={"full": True, "per_page": 3})).json()
    assert_valid_page(full, "organization.json")
    doc = (await api.get(f"/hsds/organizations/{ETTC}")).json()
    assert_valid(doc, "organization.json")
    assert doc["kind"] == "training_centre"
    assert {s["id"] for s in doc["services"]} >= {str(ETTC_BUSINESS)}
    for service in doc["services"]:
        assert not validate(service, load("compiled/service_list.json"))
    assert [p["name"] for p in doc["programs"]] == ["Frontex joint reintegration services"]
    assert {loc["name"] for loc in doc["locations"]} == {
        "ETTC desk, Baghdad International Airport",
        "ETTC office Erbil",
    }
    nested = (await api.get(f"/hsds/organizations/{ETTC}", params={"full_service": True})).json()
    for service in nested["services"]:
        assert not validate(service, load("compiled/service_with_definitions.json"))
    assert (await api.get("/hsds/organizations/00000000-0000-0000-0000-000000000000")).status_code == 404


async def test_taxonomies_and_terms(api: Api) -> None:
    page = (await api.get("/hsds/taxonomies")).json()
    assert_valid_page(page, "taxonomy.json")
    assert [t["id"] for t in page["contents"]] == [str(TAXONOMY_ID)]
    assert (await api.get("/hsds/taxonomies", params={"search": "no such words"})).json()["total_items"] == 0
    assert_valid((await api.get(f"/hsds/taxonomies/{TAXONOMY_ID}")).json(), "taxonomy.json")
    assert (await api.get("/hsds/taxonomies/00000000-0000-0000-0000-000000000000")).status_code == 404
    terms = (await api.get("/hsds/taxonomy_terms", params={"per_page": 100})).json()
    assert_valid_page(terms, "taxonomy_term.json")
    assert terms["total_items"] == 13
    assert {t["dimension"] for t in terms["contents"]} >= {"psychosocial", "economic"}
    assert (await api.get("/hsds/taxonomy_terms", params={"taxonomy_id": str(TAXONOMY_ID)})).json()[
        "total_items"
    ] == 13
    assert (await api.get("/hsds/taxonomy_terms", params={"top_only": True})).json()["total_items"] == 13
    assert (await api.get("/hsds/taxonomy_terms", params={"parent_id": str(PSYCHOSOCIAL_TERM)})).json()[
        "total_items"
    ] == 0
    found = (await api.get("/hsds/taxonomy_terms", params={"search": "نفسي"})).json()
    assert [t["code"] for t in found["contents"]] == ["psychosocial-counselling"]
    one = (await api.get(f"/hsds/taxonomy_terms/{PSYCHOSOCIAL_TERM}", params={"lang": "ckb"})).json()
    assert_valid(one, "taxonomy_term.json")
    assert one["name"] == "ڕاوێژکاریی دەروونی و کۆمەڵایەتی" and one["language"] == "ckb"


async def test_service_at_locations(api: Api) -> None:
    page = (await api.get("/hsds/service_at_locations", params={"per_page": 100})).json()
    assert_valid_page(page, "compiled/service_at_location_list.json")
    assert page["total_items"] > 0
    full = (
        await api.get("/hsds/service_at_locations", params={"full": True, "organization_id": str(ETTC)})
    ).json()
    assert_valid_page(full, "service_at_location.json")
    assert {item["service"]["organization_id"] for item in full["contents"]} == {str(ETTC)}
    by_term = (
        await api.get("/hsds/service_at_locations", params={"taxonomy_term_id": str(PSYCHOSOCIAL_TERM)})
    ).json()
    assert {i["service_id"] for i in by_term["contents"]} >= {str(RWANGA_PSYCHOSOCIAL)}
    searched = (await api.get("/hsds/service_at_locations", params={"search": "airport"})).json()
    assert searched["total_items"] >= 1
    none = (
        await api.get("/hsds/service_at_locations", params={"modified_after": "2999-01-01T00:00:00Z"})
    ).json()
    assert none["empty"] is True
    assert (
        await api.get("/hsds/service_at_locations/00000000-0000-0000-0000-000000000000")
    ).status_code == 404


async def test_profile_is_published(api: Api) -> None:
    profile = (await api.get("/hsds/profile")).json()
    assert profile["name"] == "hawkari-reintegration"
    assert set(profile["patches"]) == {
        "location.json",
        "organization.json",
        "program.json",
        "service.json",
        "service_area.json",
        "taxonomy_term.json",
    }
    for name in profile["patches"]:
        patch = (await api.get(f"/hsds/profile/{name}")).json()
        patched = merge_patch(load(name), patch)
        # A merge patch adds to the official schema; it removes nothing HSDS requires.
        assert patched["required"] == load(name)["required"]
        assert set(load(name)["properties"]) <= set(patched["properties"])
    assert (await api.get("/hsds/profile/nothing.json")).status_code == 404


async def test_feed_needs_a_token_unless_published_openly(
    api: Api, settings: RegistrySettings, tokens: Tokens
) -> None:
    assert (await api.get("/hsds/services", as_=None)).status_code == 401
    assert (await api.get("/hsds/services", as_=PLATFORM)).status_code == 200
    async with running_app(settings.model_copy(update={"hsds_public": True}), tokens) as (_, open_api):
        assert (await open_api.get("/hsds/services", as_=None)).status_code == 200
        assert (await open_api.get("/v1/services", as_=None)).status_code == 401
