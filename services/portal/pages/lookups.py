"""Reference data pages need from the registry (organisations, governorates, taxonomy, programmes).

Read with the user's token like everything else; kept on the request so one page asks once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.portal.api import Api
from services.portal.vocabulary import localized


async def _all_pages(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = await api.get("registry", path, params={**params, "per_page": 100, "page": page})
        items.extend(body["items"])
        if page >= int(body.get("total_pages") or 1):
            return items
        page += 1


async def _cached(
    api: Api, key: str, load: Callable[[], Awaitable[list[dict[str, Any]]]]
) -> list[dict[str, Any]]:
    cache: dict[str, list[dict[str, Any]]] = api.request_state.setdefault("lookups", {})
    if key not in cache:
        cache[key] = await load()
    return cache[key]


async def organizations(api: Api) -> list[dict[str, Any]]:
    return await _cached(api, "organizations", lambda: _all_pages(api, "/v1/organizations"))


async def organization_names(api: Api) -> dict[str, str]:
    return {o["id"]: localized(o["name"]) for o in await organizations(api)}


async def governorates(api: Api) -> list[dict[str, Any]]:
    return await _cached(api, "places", lambda: api.get("registry", "/v1/places"))


async def governorate_names(api: Api) -> dict[str, str]:
    return {g["code"]: localized(g["name"]) for g in await governorates(api)}


async def taxonomy(api: Api) -> list[dict[str, Any]]:
    return await _cached(api, "taxonomy", lambda: _all_pages(api, "/v1/taxonomy-terms"))


async def taxonomy_names(api: Api) -> dict[str, str]:
    return {t["code"]: localized(t["name"]) for t in await taxonomy(api)}


async def programmes(api: Api) -> list[dict[str, Any]]:
    return await _cached(api, "programmes", lambda: _all_pages(api, "/v1/programmes"))


async def programme_names(api: Api) -> dict[str, str]:
    return {p["id"]: localized(p["name"]) for p in await programmes(api)}
