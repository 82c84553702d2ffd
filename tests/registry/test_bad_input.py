"""Bodies that cannot be read: problem details, and nothing saved."""

from __future__ import annotations

import asyncpg

from services.registry.settings import RegistrySettings
from shared.db import asyncpg_dsn
from tests.registry.demo import PLATFORM, PROVIDER_ADMIN, RWANGA
from tests.registry.harness import Api

ORG = '{"kind": "ngo", "name": {"en": "Café Retour"}}'


async def organizations(url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM organization"))
    finally:
        await conn.close()


async def test_not_utf8_is_422_naming_the_document(api: Api, settings: RegistrySettings) -> None:
    before = await organizations(settings.database_url)
    r = await api.post(
        "/v1/organizations",
        content=ORG.encode("latin-1"),
        as_=PLATFORM,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [{"pointer": "", "detail": "is not valid UTF-8 JSON"}]
    r = await api.post(
        "/v1/organizations",
        content=b'{"kind": "ngo", "name": ',
        as_=PLATFORM,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert await organizations(settings.database_url) == before


async def test_oversized_body_is_refused_before_it_is_read(api: Api, settings: RegistrySettings) -> None:
    huge = '{"kind": "ngo", "name": {"en": "' + "x" * (settings.max_body_bytes + 10) + '"}}'
    r = await api.post(
        "/v1/organizations", content=huge.encode(), as_=PLATFORM, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_oversized_and_unknown_fields_are_named(api: Api) -> None:
    r = await api.post(
        "/v1/organizations",
        as_=PLATFORM,
        json={
            "kind": "ngo",
            "name": {"en": "x" * 301},
            "description": {"ar": "y" * 5001},
            "colour": "blue",
            "email": "not-an-email",
            "website": "ftp//nowhere",
        },
    )
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {
        "/name/en",
        "/description/ar",
        "/colour",
        "/email",
        "/website",
    }


async def test_a_failing_part_rolls_back_the_whole_change(api: Api, settings: RegistrySettings) -> None:
    # A location of Rwanga's own, with one bad district: nothing of it may remain.
    r = await api.post(
        "/v1/locations",
        as_=PROVIDER_ADMIN,
        json={
            "organization_id": str(RWANGA),
            "name": {"en": "Annex"},
            "governorate_code": "IQ-AR",
            "district_code": "IQ-SU-RAN",
        },
    )
    assert r.status_code == 422
    listed = await api.get("/v1/locations", params={"organization_id": str(RWANGA)})
    assert "Annex" not in {loc["name"].get("en") for loc in listed.json()["items"]}
