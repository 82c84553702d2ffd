"""Pages of the steering group and the funders (roles funder, steering_admin).

Each page asks the coordination service for one view with the user's token and draws it: charts
with their data tables, suppressed figures written as "suppressed", the reader's own programmes
marked. Downloads hand over the service's own CSV (with HXL hashtags) or JSON.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.portal import i18n, vocabulary
from services.portal.api import Api, ApiProblem, UserApi
from services.portal.auth.deps import Csrf, require_roles
from services.portal.charts import (
    ChartLocale,
    HeatMap,
    declines_chart,
    funnel_chart,
    outcome_chart,
    tile_map,
    timeline_chart,
)
from services.portal.forms import Form
from services.portal.i18n import N_
from services.portal.i18n import gettext_ as _
from services.portal.steering import tables, views
from services.portal.steering.filters import EXPORTS, SUPPLY_FILTERS, Filters, read
from services.portal.templating import add_nav_item, add_template_dir, render

READERS = ("funder", "steering_admin")
router = APIRouter(prefix="/steering", dependencies=[Csrf, Depends(require_roles(*READERS))])
add_template_dir(Path(__file__).parent / "templates")
add_nav_item("/steering", N_("Steering dashboards"), READERS)

# Overlap pages of the JSON view are followed to give a whole download, up to this many.
MAX_OVERLAP_PAGES = 100


def chart_locale() -> ChartLocale:
    lang = i18n.current_language.get()
    return ChartLocale(lang, i18n.translations(lang))


async def fetch(api: Api, filters: Filters, path: str, **extra: str) -> dict[str, Any] | None:
    """One view for the page's filters; a refused filter is shown on the form, not as an error page."""
    if not filters.ok:
        return None
    try:
        view: dict[str, Any] = await api.get("coordination", path, params={**filters.params(), **extra})
    except ApiProblem as problem:
        if problem.status != 422:
            raise
        filters.problem(problem)
        return None
    return view


async def filter_options(api: Api) -> dict[str, Any]:
    """Choices for the filter forms: governorates (ISO), and what the unfiltered coverage names."""
    unfiltered = await api.get("coordination", "/v1/coverage")
    found = views.options(unfiltered)
    return {
        "governorate": sorted(views.governorate_names().items(), key=lambda g: g[1]),
        "term": found["term"],
        "programme": found["programme"],
        "funder": [(code, tables.funder_name(code)) for code, _name in found["funder"]],
        "return_type": vocabulary.options(vocabulary.RETURN_TYPES),
    }


def page(
    request: Request, template: str, filters: Filters, options: dict[str, Any], **context: Any
) -> Response:
    return render(
        request,
        template,
        {
            "filters": filters,
            "options": options,
            "download_query": filters.query(),
            **context,
        },
    )


@router.get("")
async def coverage_page(request: Request, api: UserApi) -> Response:
    loc = chart_locale()
    filters = read("coverage", request.query_params)
    options = await filter_options(api)
    view = await fetch(api, filters, "/v1/coverage")
    context: dict[str, Any] = {"view": view}
    if view is not None:
        names = dict(options["governorate"])
        if filters.get("governorate"):
            names = {filters.get("governorate"): names[filters.get("governorate")]}
        cov = views.coverage(view, dict(sorted(names.items())))
        context["heatmap"] = HeatMap(
            _("Active services by governorate and service category"),
            cov.rows,
            cov.columns,
            cov.services,
            row_title=_("Governorate"),
            marked=cov.own,
            mark_note=_("funded by one of your programmes"),
        ).render("coverage-heatmap", loc)
        context["tiles"] = tile_map(
            "coverage-tiles",
            _("Service categories covered per governorate"),
            _("How many of the categories shown have at least one active service in each governorate."),
            cov.terms_per_governorate,
            loc,
            column=_("Categories covered"),
            selected=filters.get("governorate") or None,
        )
        context["programmes"] = tables.programmes(view.get("programmes", {}), loc)
    return page(request, "steering/coverage.html", filters, options, **context)


@router.get("/overlap")
async def overlap_page(request: Request, api: UserApi) -> Response:
    loc = chart_locale()
    filters = read("overlap", request.query_params)
    options = await filter_options(api)
    cursor = request.query_params.get("cursor")
    view = await fetch(api, filters, "/v1/overlap", **({"cursor": cursor} if cursor else {}))
    context: dict[str, Any] = {"view": view}
    if view is not None:
        context["table"] = tables.overlap(view, loc)
        context["next_cursor"] = view.get("next_cursor")
    return page(request, "steering/overlap.html", filters, options, **context)


@router.get("/gaps")
async def gaps_page(request: Request, api: UserApi) -> Response:
    loc = chart_locale()
    filters = read("gaps", request.query_params)
    options = await filter_options(api)
    declines = await fetch(api, filters, "/v1/gaps/declines")
    supply = None
    if declines is not None:
        supply = await api.get("coordination", "/v1/gaps/supply", params=filters.params(SUPPLY_FILTERS))
    context: dict[str, Any] = {"declines": declines, "supply_view": supply}
    if declines is not None and supply is not None:
        supply["rows"] = [r for r in supply["rows"] if r.get("governorate") in views.governorate_names()]
        rows = [r for r in declines["rows"] if r.get("term") is not None]
        values = views.heat_of(rows, "governorate", "term", "declined")
        governorates = sorted(
            {(r["governorate"], r.get("governorate_name") or r["governorate"]) for r in rows}
        )
        terms = views.term_axis(rows)
        for g, _name in governorates:
            for t, _label in terms:
                values.setdefault((g, t), 0)  # no decline recorded there: a true zero
        context["heatmap"] = HeatMap(
            _("Referrals declined for lack of supply, by governorate and service category"),
            governorates,
            terms,
            values,
            row_title=_("Governorate"),
        ).render("gaps-heatmap", loc)
        context["reasons"] = tables.gap_reasons(rows, loc)
        context["has_declines"] = bool(rows)
        context["supply_table"] = tables.supply(supply, loc)
        context["returns_tiles"] = tile_map(
            "gaps-tiles",
            _("Returns per governorate"),
            _("Cases opened per governorate; missing MRCs and psychosocial support are listed below."),
            views.by_governorate(supply["rows"], "returns"),
            loc,
            column=_("Returns"),
        )
    return page(request, "steering/gaps.html", filters, options, **context)


@router.get("/funnel")
async def funnel_page(request: Request, api: UserApi) -> Response:
    loc = chart_locale()
    filters = read("funnel", request.query_params)
    options = await filter_options(api)
    view = await fetch(api, filters, "/v1/funnel")
    context: dict[str, Any] = {"view": view, "by_options": tables.funnel_by_options(), "tiles": None}
    if view is not None:
        by = filters.get("by")
        total = views.total_row(view["rows"], by)
        context["funnel"] = funnel_chart("funnel", _("Referral funnel"), total, loc)
        context["declines"] = declines_chart("declines", _("Why referrals were declined"), total, loc)
        if by == "governorate":
            context["tiles"] = tile_map(
                "funnel-tiles",
                _("Referrals sent per governorate"),
                _("Referrals sent in the period, by the governorate the returnee returned to."),
                views.zero_filled(views.by_governorate(views.group_rows(view["rows"], by), "sent")),
                loc,
                column=_("Referrals sent"),
            )
        context["table"] = tables.funnel(view, by, loc)
    return page(request, "steering/funnel.html", filters, options, **context)


@router.get("/outcomes")
async def outcomes_page(request: Request, api: UserApi) -> Response:
    loc = chart_locale()
    filters = read("outcomes", request.query_params)
    view = await fetch(api, filters, "/v1/outcomes")
    context: dict[str, Any] = {"view": view, "by_options": tables.outcomes_by_options()}
    if view is not None:
        by = filters.get("by")
        total = [r for r in view["rows"] if r.get(by) is None]
        context["chart"] = outcome_chart("outcomes", _("Reintegration scores, all follow-ups"), total, loc)
        context["table"] = tables.outcomes(view, by, loc)
    return page(request, "steering/outcomes.html", filters, {}, **context)


@router.get("/timeline")
async def timeline_page(request: Request, api: UserApi) -> Response:
    loc = chart_locale()
    filters = read("timeline", request.query_params)
    options = await filter_options(api)
    view = await fetch(api, filters, "/v1/timeline")
    context: dict[str, Any] = {"view": view}
    if view is not None:
        context["chart"] = timeline_chart(
            "timeline",
            _("Programmes and Migrant Resource Centres over time"),
            views.spans(view),
            loc,
            today=date.today(),
        )
    return page(request, "steering/timeline.html", filters, options, **context)


@router.get("/download/{name}.{fmt}")
async def download(name: str, fmt: str, request: Request, api: UserApi) -> Response:
    """The coordination service's own export, fetched with the user's token (same suppression)."""
    if name not in EXPORTS or fmt not in ("csv", "json"):
        return render(
            request,
            "error.html",
            {"title": _("Page not found"), "message": _("There is no page at this address.")},
            status_code=404,
        )
    path, page_name = EXPORTS[name]
    filters = read(page_name, request.query_params)
    if not filters.ok:
        message = _("The filters of this download are not valid. Go back to the page and correct them.")
        return render(
            request, "error.html", {"title": _("Not possible"), "message": message}, status_code=422
        )
    params = {**filters.params(SUPPLY_FILTERS if name == "gaps-supply" else None), "format": fmt}
    headers = {"Content-Disposition": f'attachment; filename="hawkari-{name}.{fmt}"'}
    if name == "overlap" and fmt == "json":
        body = await whole_overlap(api, params)
        return Response(body, media_type="application/json", headers=headers)
    response = await api.request("GET", "coordination", path, params=params)
    media_type = response.headers.get("content-type", "application/octet-stream")
    return Response(response.content, media_type=media_type, headers=headers)


async def whole_overlap(api: Api, params: dict[str, str]) -> bytes:
    """The JSON overlap view comes in pages; a download holds every overlap."""
    view = await api.get("coordination", "/v1/overlap", params=params)
    pages = 1
    while view.get("next_cursor") and pages < MAX_OVERLAP_PAGES:
        more = await api.get("coordination", "/v1/overlap", params={**params, "cursor": view["next_cursor"]})
        view["rows"].extend(more["rows"])
        view["programmes"] = {**view.get("programmes", {}), **more.get("programmes", {})}
        view["next_cursor"] = more.get("next_cursor")
        pages += 1
    return json.dumps(view, ensure_ascii=False).encode()


@router.get("/threshold")
async def threshold_page(request: Request, api: UserApi) -> Response:
    current = await api.get("coordination", "/v1/suppression")
    saved = request.query_params.get("saved") == "1"
    return render(
        request,
        "steering/threshold.html",
        {"k": current["k"], "form": None, "saved": saved},
    )


@router.post("/threshold", dependencies=[Depends(require_roles("steering_admin"))])
async def set_threshold(request: Request, api: UserApi) -> Response:
    form = await Form.read(request)
    k = form.integer("k", 2, 100, required=True)
    if k is not None:
        try:
            await api.put("coordination", "/v1/suppression", json={"k": k})
        except ApiProblem as problem:
            if problem.status != 422:
                raise
            form.problem(problem, {"/k": "k", "#/k": "k", "#body/k": "k"})
    if not form.ok:
        current = await api.get("coordination", "/v1/suppression")
        return render(
            request,
            "steering/threshold.html",
            {"k": current["k"], "form": form, "saved": False},
            status_code=422,
        )
    return RedirectResponse("/steering/threshold?saved=1", status_code=303)
