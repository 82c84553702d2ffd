"""Find services: text search in any language, filters, a tile map of Iraq's governorates, capacity
and freshness shown. Opened from a case (``?case=<id>``), each result offers "Refer".
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.portal.api import ApiProblem, UserApi
from services.portal.auth.deps import require_roles as roles
from services.portal.charts.governorates import TILES
from services.portal.i18n import N_
from services.portal.pages import lookups
from services.portal.templating import render
from services.portal.vocabulary import localized

router = APIRouter(dependencies=[Depends(roles("counsellor", "provider_caseworker", "provider_admin"))])

SORTS = {
    "relevance": N_("Best match"),
    "name": N_("Name"),
    "open_places": N_("Most open places"),
    "recently_confirmed": N_("Most recently confirmed"),
}
FILTER_DIMENSIONS = {
    "economic": N_("Economic"),
    "social": N_("Social"),
    "psychosocial": N_("Psychosocial"),
    "arrival_reception": N_("Arrival and reception"),
    "information_counselling": N_("Information and counselling"),
}


SELECTED = ("taxonomy_term", "dimension", "language", "sort", "has_capacity", "fresh")


@router.get("/services")
async def search(request: Request, api: UserApi) -> Response:
    p = request.query_params
    case_id = p.get("case") or None
    governorate = p.get("governorate") or None
    page_no = max(1, int(p["page"])) if p.get("page", "").isdigit() else 1
    params: dict[str, Any] = {"per_page": 25, "page": page_no}
    if p.get("q"):
        params["q"] = p["q"][:200]
    if governorate:
        params["governorate"] = [governorate]
    if p.get("taxonomy_term"):
        params["taxonomy_term"] = [p["taxonomy_term"]]
    if p.get("dimension") in FILTER_DIMENSIONS:
        params["dimension"] = [p["dimension"]]
    if p.get("language") in ("en", "ar", "ckb"):
        params["language"] = [p["language"]]
    if p.get("has_capacity") == "yes":
        params["has_capacity"] = True
    if p.get("accepts_referrals") == "yes" or case_id:
        params["accepts_referrals"] = True
    if p.get("fresh") == "yes":
        params["stale"] = False
    params["sort"] = p.get("sort") if p.get("sort") in SORTS else "relevance"
    problem = None
    try:
        page = await api.get("registry", "/v1/services", params=params)
    except ApiProblem as exc:
        if exc.status != 422:
            raise
        problem, page = exc, {"items": [], "total": 0, "page": 1, "total_pages": 1}
    # One count per governorate for the map (services matching the other filters).
    counts_params = {k: v for k, v in params.items() if k not in ("governorate", "page", "per_page", "sort")}
    counts = {}
    places = await lookups.governorates(api)
    try:
        everywhere = await api.get("registry", "/v1/services", params={**counts_params, "per_page": 100})
        for hit in everywhere["items"]:
            for code in hit.get("governorates", []):
                counts[code] = counts.get(code, 0) + 1
    except ApiProblem:
        counts = {}
    case = await api.get("referrals", f"/v1/cases/{case_id}") if case_id else None
    tiles = [
        {
            "code": g["code"],
            "name": localized(g["name"]),
            "col": TILES[g["code"]][0],
            "row": TILES[g["code"]][1],
            "count": counts.get(g["code"], 0),
        }
        for g in places
        if g["code"] in TILES
    ]
    return render(
        request,
        "directory/search.html",
        {
            "page": page,
            "q": p.get("q", ""),
            "selected": {k: p.get(k, "") for k in SELECTED},
            "governorate": governorate,
            "tiles": tiles,
            "places": {g["code"]: localized(g["name"]) for g in places},
            "terms": [(t["code"], localized(t["name"])) for t in await lookups.taxonomy(api)],
            "term_names": await lookups.taxonomy_names(api),
            "sorts": SORTS,
            "dimensions": FILTER_DIMENSIONS,
            "case": case,
            "problem": problem,
            "query_without": _query_without(request),
        },
    )


def _query_without(request: Request) -> dict[str, str]:
    """This search's parameters except the governorate and page (for the map's links)."""
    return {k: v for k, v in request.query_params.items() if k not in ("governorate", "page") and v}
