"""GET /v1/services: text in three languages and scripts, every filter, paging, a stable order."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.registry.search.models import PLAIN_COLUMNS
from services.registry.seed import demo_id
from services.registry.settings import RegistrySettings
from shared.db import asyncpg_dsn
from tests.registry.demo import (
    ETTC_BUSINESS,
    ETTC_VOCATIONAL,
    FRONTEX,
    MRC_ERBIL_COUNSELLING,
    PROVIDER_ADMIN,
    RWANGA,
    RWANGA_BUSINESS,
    RWANGA_PSYCHOSOCIAL,
    RWANGA_YOUTH,
)
from tests.registry.harness import Api


async def ids(api: Api, **params: Any) -> list[str]:
    r = await api.get("/v1/services", params={"per_page": 100, **params})
    assert r.status_code == 200, r.text
    return [h["id"] for h in r.json()["items"]]


async def test_arabic_found_however_it_was_typed(api: Api) -> None:
    # Stored: "الإرشاد النفسي والاجتماعي للعائدين" (with hamza under the alef).
    for typed in ("الارشاد النفسي", "الإرشاد النفسى", "النفسي", "نفسي والاجتماعي"):
        assert str(RWANGA_PSYCHOSOCIAL) in await ids(api, q=typed), typed
    # Teh marbuta typed as heh, and alef with hamza typed bare: "منحة" / "أربيل".
    assert str(RWANGA_BUSINESS) in await ids(api, q="منح المشاريع الصغيره")


async def test_kurdish_found_with_or_without_kurdish_letters(api: Api) -> None:
    # Stored in Sorani: "ڕاوێژکاریی دەروونی و کۆمەڵایەتی بۆ گەڕاوەکان".
    for typed in ("ڕاوێژکاریی دەروونی", "راويژكاريي دەرووني", "راويزكاري دهرووني", "گەڕاوەکان"):
        assert str(RWANGA_PSYCHOSOCIAL) in await ids(api, q=typed), typed
    # "Skills and jobs for young returnees": Sorani name with ١٨ (Arabic-Indic) in its description.
    assert str(RWANGA_YOUTH) in await ids(api, q="١٨ تا ٣٥")
    assert str(RWANGA_YOUTH) in await ids(api, q="18 تا 35")


async def test_english_words_terms_and_places(api: Api) -> None:
    found = await ids(api, q="psychosocial")
    assert str(RWANGA_PSYCHOSOCIAL) in found
    # Words from the taxonomy term and the place names count too: every word must occur.
    both = await ids(api, q="psychosocial duhok")
    assert str(RWANGA_PSYCHOSOCIAL) in both
    assert all(i in found for i in both)
    assert str(RWANGA_PSYCHOSOCIAL) in await ids(api, q="هەولێر")  # Erbil in Sorani, from the service area
    assert await ids(api, q="psychosocial basra") == []
    # Every word must occur; an unknown word empties the result.
    assert await ids(api, q="psychosocial zzqx") == []


async def test_relevance_puts_name_matches_first_and_ties_break_on_id(api: Api) -> None:
    r = await api.get("/v1/services", params={"q": "business"})
    hits = r.json()["items"]
    in_name = [h for h in hits if "business" in h["name"].get("en", "").lower()]
    assert hits[: len(in_name)] == in_name
    assert {str(ETTC_BUSINESS), str(RWANGA_BUSINESS)} <= {h["id"] for h in in_name}


async def test_filters(api: Api) -> None:
    kri = await ids(api, governorate="IQ-KR")
    assert str(RWANGA_PSYCHOSOCIAL) in kri and str(MRC_ERBIL_COUNSELLING) in kri
    assert str(RWANGA_PSYCHOSOCIAL) in await ids(api, governorate="IQ-HAL")
    erbil = await ids(api, governorate="IQ-AR")
    assert str(RWANGA_PSYCHOSOCIAL) in erbil
    assert set(erbil) <= set(kri)
    # A district: services covering the whole governorate, or that district.
    assert str(RWANGA_PSYCHOSOCIAL) in await ids(api, district="IQ-DA-ZAK")
    # ETTC business start-up names locations only (Erbil and Baghdad districts).
    assert str(ETTC_BUSINESS) in await ids(api, district="IQ-AR-ERB")
    assert str(ETTC_BUSINESS) not in await ids(api, district="IQ-AR-SOR")
    assert str(RWANGA_PSYCHOSOCIAL) in await ids(api, taxonomy_term="psychosocial-counselling")
    psych = await ids(api, dimension="psychosocial")
    assert str(RWANGA_PSYCHOSOCIAL) in psych and str(ETTC_BUSINESS) not in psych
    assert str(RWANGA_PSYCHOSOCIAL) in await ids(api, language="kmr")
    assert str(RWANGA_PSYCHOSOCIAL) not in await ids(api, language="en")
    refusing = await ids(api, accepts_referrals=False)
    assert refusing and str(RWANGA_PSYCHOSOCIAL) not in refusing
    with_room = await ids(api, has_capacity=True)
    assert str(RWANGA_PSYCHOSOCIAL) in with_room and str(ETTC_VOCATIONAL) not in with_room
    assert str(ETTC_VOCATIONAL) in await ids(api, has_capacity=False)
    frontex = await ids(api, programme_id=str(FRONTEX))
    assert str(ETTC_BUSINESS) in frontex and str(RWANGA_PSYCHOSOCIAL) not in frontex
    assert str(ETTC_BUSINESS) in await ids(api, funder="EU")
    assert str(MRC_ERBIL_COUNSELLING) in await ids(api, funder="NO")
    assert str(MRC_ERBIL_COUNSELLING) not in await ids(api, funder="SE")
    assert set(await ids(api, organization_kind="ngo")) == set(await ids(api, organization_id=str(RWANGA)))
    assert await ids(api, status="temporarily closed") == []
    combined = await ids(api, governorate="IQ-DA", dimension="economic", language="kmr")
    assert combined == [str(RWANGA_YOUTH)]


async def test_filter_changes_show_up_at_once(api: Api) -> None:
    path = f"/v1/services/{RWANGA_PSYCHOSOCIAL}"
    tag = await api.etag(path)
    await api.put(f"{path}/capacity", json={"open_places": 0}, headers={"If-Match": tag}, as_=PROVIDER_ADMIN)
    assert str(RWANGA_PSYCHOSOCIAL) not in await ids(api, has_capacity=True)


async def test_paging_is_stable_and_complete(api: Api) -> None:
    everything = await ids(api)
    pages = []
    for page in range(1, 5):
        r = await api.get("/v1/services", params={"per_page": 4, "page": page})
        body = r.json()
        assert body["total"] == len(everything) and body["total_pages"] == 4
        pages += [h["id"] for h in body["items"]]
    assert pages == everything
    past = await api.get("/v1/services", params={"per_page": 4, "page": 9})
    assert past.json()["items"] == [] and past.json()["total"] == len(everything)
    for sort in ("name", "recently_updated", "recently_confirmed", "open_places"):
        assert await ids(api, sort=sort) == await ids(api, sort=sort)
        assert sorted(await ids(api, sort=sort)) == sorted(everything)


async def test_bad_filters_are_422_naming_the_parameter(api: Api) -> None:
    r = await api.get(
        "/v1/services",
        params={"governorate": "IQ-XX", "language": "zz9", "taxonomy_term": "psychosocial-counselling"},
    )
    assert r.status_code == 422
    pointers = {e["pointer"] for e in r.json()["errors"]}
    assert {"#query/governorate/0", "#query/language/0"} <= pointers
    r = await api.get("/v1/services", params={"taxonomy_term": "no-such-term"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#query/taxonomy_term/0"
    r = await api.get("/v1/services", params={"per_page": 1000})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#query/per_page"


async def test_short_words_match_word_starts_and_the_article_is_optional(api: Api) -> None:
    documents = demo_id("service", "mrc-sulaymaniyah-documents")  # "... renew national ID ..."
    found = await ids(api, q="id")
    assert str(documents) in found
    assert str(RWANGA_PSYCHOSOCIAL) not in found  # "Individual" holds "id", but not at a word start
    airport = demo_id("service", "ettc-airport-reception")  # "... إلى مطار بغداد": no article
    assert str(airport) in await ids(api, q="المطار")
    assert str(airport) in await ids(api, q="مطار")
    # Common words do not narrow the search: "في" is dropped.
    assert await ids(api, q="الدعم في النفسي") == await ids(api, q="الدعم النفسي")


async def test_the_search_table_keeps_filter_columns_in_the_row(settings: RegistrySettings) -> None:
    """The storage choices search speed depends on (search/models.py) are what the migration made."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        storage = dict(
            await conn.fetch(
                "SELECT attname, attstorage::text FROM pg_attribute "
                "WHERE attrelid = 'service_search'::regclass AND attnum > 0 AND NOT attisdropped"
            )
        )
        assert {c: storage[c] for c in PLAIN_COLUMNS} == dict.fromkeys(PLAIN_COLUMNS, "p")
        assert storage["words"] == "x"  # large: moved out of the row
        options = await conn.fetchval("SELECT reloptions FROM pg_class WHERE relname = 'service_search'")
        assert "toast_tuple_target=128" in options
        for index in ("ix_service_search_words", "ix_service_search_name_words", "ix_search_word_terms"):
            assert "fastupdate=off" in await conn.fetchval(
                "SELECT reloptions FROM pg_class WHERE relname = $1", index
            )
    finally:
        await conn.close()
