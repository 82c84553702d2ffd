"""HTTP for the dashboards: parse and check filters, pick the view, render JSON or CSV (+HXL)."""

from __future__ import annotations

import base64
import csv
import functools
import io
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.dashboards import repository, service
from services.coordination.dashboards.repository import Directory
from services.coordination.dashboards.service import GOVERNORATES, RETURN_TYPES, Period, View
from services.coordination.dashboards.snapshot import Snapshot, SnapshotCache
from services.coordination.models import coordination_setting
from services.coordination.permissions import READ_DASHBOARDS, SET_THRESHOLD
from shared.auth import CurrentPrincipal, Principal, Role, authenticated_router, require_roles
from shared.db import get_session
from shared.errors import InvalidField

router = authenticated_router(tags=["coordination"], dependencies=[Depends(require_roles(*READ_DASHBOARDS))])

Format = Annotated[Literal["json", "csv"], Query(description="json, or csv with an HXL hashtag row")]
From = Annotated[date | None, Query(alias="from", description="first day of the period (whole months)")]
To = Annotated[date | None, Query(alias="to", description="last day of the period (whole months)")]
Session = Annotated[AsyncSession, Depends(get_session)]
TARGET_GROUPS = ("all_eu_returnees", "funder_country_returnees")
# Overlaps per JSON page unless ``limit`` says otherwise, and the largest page.
OVERLAP_PAGE = 50
OVERLAP_MAX_PAGE = 1000
BASE_DIMENSIONS = {"economic", "social", "psychosocial"}


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"rank:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The rank offset a cursor stands for (opaque to clients)."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        offset = int(number)
    except (ValueError, UnicodeDecodeError):
        offset = -1
        prefix = ""
    if prefix != "rank" or offset < 0:
        raise InvalidField("#query/cursor", "is not a cursor this API gave")
    return offset


async def snapshot(request: Request) -> Snapshot:
    cache: SnapshotCache = request.app.state.snapshots
    return await cache.get()


SnapshotDep = Annotated[Snapshot, Depends(snapshot)]


def own_countries(principal: Principal, directory: Directory, request: Request) -> set[str]:
    """The funder's own country (observer on everything, owner of its own programmes)."""
    if not principal.has_role(Role.funder) or principal.org_id is None:
        return set()
    org = directory.organizations.get(str(principal.org_id))
    country = org["country_code"] if org else None
    country = country or request.app.state.settings.funder_org_countries.get(str(principal.org_id))
    return {country} if country else set()


def period_of(start: date | None, end: date | None) -> Period:
    if start and end and start > end:
        raise InvalidField([("#query/from", "is after to"), ("#query/to", "is before from")])
    return Period(start, end)


def check(directory: Directory, **filters: str | None) -> None:
    errors: list[tuple[str, str]] = []
    for name, value in filters.items():
        if value is None:
            continue
        if name == "governorate" and value not in GOVERNORATES:
            errors.append((f"#query/{name}", "is not a governorate of Iraq (ISO 3166-2:IQ code)"))
        elif name == "term" and value not in directory.terms:
            errors.append((f"#query/{name}", "is not a known taxonomy term code"))
        elif name == "funder" and value not in directory.funders:
            errors.append((f"#query/{name}", "funds no known programme"))
        elif name == "programme" and value not in directory.programmes:
            errors.append((f"#query/{name}", "is not a known programme id"))
        elif name == "provider" and value not in directory.organizations:
            errors.append((f"#query/{name}", "is not a known organization id"))
        elif name == "return_type" and value not in RETURN_TYPES:
            errors.append((f"#query/{name}", f"is not one of {', '.join(RETURN_TYPES)}"))
        elif name == "dimension" and value not in BASE_DIMENSIONS | {
            t["dimension"] for t in directory.terms.values()
        }:
            errors.append((f"#query/{name}", "is not a known needs dimension"))
        elif name == "target_group" and value not in TARGET_GROUPS:
            errors.append((f"#query/{name}", f"is not one of {', '.join(TARGET_GROUPS)}"))
    if errors:
        raise InvalidField(errors)


def cached_view(endpoint: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Answer a repeated question from the snapshot's response cache.

    A view is a pure function of the snapshot, the query and the caller's own country, so the
    rendered answer is kept with the snapshot (and goes with it when it is rebuilt).
    """

    @functools.wraps(endpoint)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        request: Request = kwargs["request"]
        snap: Snapshot = kwargs["snap"]
        own = own_countries(kwargs["principal"], snap.directory, request)
        cache_key = (request.url.path, str(request.url.query), tuple(sorted(own)))
        hit = snap.responses.get(cache_key)
        if hit is not None:
            return Response(hit[0], media_type=hit[1], headers=hit[2])
        response = await endpoint(*args, **kwargs)
        if isinstance(response, Response) and response.status_code == 200:
            if len(snap.responses) >= RESPONSE_CACHE_SIZE:
                snap.responses.clear()
            headers = {k: v for k, v in response.headers.items() if k.lower() == "content-disposition"}
            snap.responses[cache_key] = (bytes(response.body), response.media_type or "", headers)
        return response

    return wrapper


RESPONSE_CACHE_SIZE = 512


def _cell(value: Any, name: str, row: dict[str, Any]) -> str:
    if value is None:
        return "suppressed" if name in row.get("suppressed", ()) else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(view: View, fmt: str, filters: dict[str, Any], audited: bool = True) -> Any:
    if not audited:
        view.notes.append(
            "The exact disclosure audit was skipped (too many suppressed cells); line rules apply."
        )
    view.filters = {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v is not None
    }
    if fmt == "json":
        return JSONResponse(view.as_json())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in view.columns])
    writer.writerow([c.hxl for c in view.columns])
    for row in view.rows:
        writer.writerow([_cell(c.csv(row) if c.csv else row.get(c.name), c.name, row) for c in view.columns])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{view.view}.csv"'},
    )


@router.get("/coverage", summary="Who offers what where, with whose money (3W/4W)")
@cached_view
async def get_coverage(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    level: Literal["governorate", "district"] = "governorate",
    group: Literal["term", "dimension"] = "term",
    governorate: str | None = None,
    term: str | None = None,
    funder: str | None = None,
    programme: str | None = None,
    target_group: str | None = None,
    return_type: str | None = None,
    start: From = None,
    end: To = None,
    format: Format = "json",
) -> Any:
    d = snap.directory
    check(
        d,
        governorate=governorate,
        term=term,
        funder=funder,
        programme=programme,
        target_group=target_group,
        return_type=return_type,
    )
    period = period_of(start, end)
    filtered = any(v is not None for v in (funder, programme, target_group, return_type, start, end))
    pids = None
    if filtered:
        pids = frozenset(
            p.id
            for p in d.programmes.values()
            if p.active
            and (funder is None or funder in p.funder_countries)
            and (programme is None or p.id == programme)
            and (target_group is None or p.target_group == target_group)
            and (return_type is None or return_type in p.eligible_return_types)
            and period.overlaps(p.starts_on, p.ends_on)
        )
    cells = repository.coverage_cells(
        d, level=level, group=group, governorate=governorate, term=term, programme_ids=pids
    )
    view = service.coverage_view(
        cells, d, level=level, group=group, own_countries=own_countries(principal, d, request)
    )
    return render(
        view,
        format,
        {
            "level": level,
            "group": group,
            "governorate": governorate,
            "term": term,
            "funder": funder,
            "programme": programme,
            "target_group": target_group,
            "return_type": return_type,
            "from": start,
            "to": end,
        },
        snap.published.audited,
    )


@router.get(
    "/overlap",
    summary="Programmes of different funders paying for the same thing in the same place",
    description="Ranked by size (services, then referrals sent). JSON answers a page of `limit` "
    f"overlaps ({OVERLAP_PAGE} unless given) and `next_cursor` for the next; CSV exports every overlap "
    "unless `limit` is given.",
)
@cached_view
async def get_overlap(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    governorate: str | None = None,
    term: str | None = None,
    funder: str | None = None,
    start: From = None,
    end: To = None,
    limit: Annotated[int | None, Query(ge=1, le=OVERLAP_MAX_PAGE)] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    format: Format = "json",
) -> Any:
    d = snap.directory
    check(d, governorate=governorate, term=term, funder=funder)
    offset = decode_cursor(cursor)
    if limit is None and format == "json":
        limit = OVERLAP_PAGE
    view = service.overlap(
        snap.published,
        d,
        period=period_of(start, end),
        governorate=governorate,
        term=term,
        funder=funder,
        own_countries=own_countries(principal, d, request),
        offset=offset,
        limit=limit,
        ranking=snap.overlaps if start is None and end is None else None,
    )
    following = offset + len(view.rows)
    view.extra["next_cursor"] = encode_cursor(following) if following < view.extra["total"] else None
    return render(
        view,
        format,
        {
            "governorate": governorate,
            "term": term,
            "funder": funder,
            "from": start,
            "to": end,
            "limit": limit,
        },
        snap.published.audited,
    )


@router.get(
    "/overlap/cash",
    summary="Referrals for a kind of cash support the case already gets from another programme",
    description="Counts of referrals sent and accepted for a kind of cash support (benefit kind) the "
    "case already receives from another programme: the double-funding signal from the referrals "
    "service, per governorate or programme and kind; never who.",
)
@cached_view
async def get_cash_overlap(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    by: Literal["governorate", "programme"] = "governorate",
    kind: Annotated[str | None, Query(pattern=r"^[a-z0-9_\-]{1,64}$")] = None,
    start: From = None,
    end: To = None,
    format: Format = "json",
) -> Any:
    d = snap.directory
    view = service.cash_overlap(
        snap.published,
        d,
        by=by,
        period=period_of(start, end),
        kind=kind,
        own_countries=own_countries(principal, d, request),
    )
    return render(view, format, {"by": by, "kind": kind, "from": start, "to": end}, snap.published.audited)


@router.get("/gaps/declines", summary="Referrals declined for no capacity, out of area or not eligible")
@cached_view
async def get_gap_declines(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    governorate: str | None = None,
    term: str | None = None,
    start: From = None,
    end: To = None,
    format: Format = "json",
) -> Any:
    check(snap.directory, governorate=governorate, term=term)
    declines, _ = service.gaps(
        snap.published, snap.directory, period=period_of(start, end), governorate=governorate, term=term
    )
    return render(
        declines,
        format,
        {"governorate": governorate, "term": term, "from": start, "to": end},
        snap.published.audited,
    )


@router.get("/gaps/supply", summary="Governorates with returns but no MRC or no psychosocial support")
@cached_view
async def get_gap_supply(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    governorate: str | None = None,
    start: From = None,
    end: To = None,
    format: Format = "json",
) -> Any:
    check(snap.directory, governorate=governorate)
    _, supply = service.gaps(
        snap.published, snap.directory, period=period_of(start, end), governorate=governorate, term=None
    )
    return render(
        supply, format, {"governorate": governorate, "from": start, "to": end}, snap.published.audited
    )


@router.get(
    "/gaps/needs",
    summary="Needs assessed with no eligible service, per area (or month) and dimension",
)
@cached_view
async def get_gap_needs(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    by: Literal["governorate", "month"] = "governorate",
    governorate: str | None = None,
    dimension: str | None = None,
    start: From = None,
    end: To = None,
    format: Format = "json",
) -> Any:
    d = snap.directory
    check(d, governorate=governorate, dimension=dimension)
    view = service.needs(
        snap.published,
        d,
        by=by,
        period=period_of(start, end),
        governorate=governorate,
        dimension=dimension,
    )
    return render(
        view,
        format,
        {"by": by, "governorate": governorate, "dimension": dimension, "from": start, "to": end},
        snap.published.audited,
    )


@router.get("/funnel", summary="Referral funnel: sent → accepted → completed, declines, deadline breaches")
@cached_view
async def get_funnel(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    by: Literal["governorate", "programme", "funder", "provider", "month"] = "governorate",
    return_type: str | None = None,
    governorate: str | None = None,
    programme: str | None = None,
    funder: str | None = None,
    provider: str | None = None,
    start: From = None,
    end: To = None,
    format: Format = "json",
) -> Any:
    d = snap.directory
    check(d, governorate=governorate, programme=programme, provider=provider, return_type=return_type)
    scopes = {
        k: v
        for k, v in (
            ("governorate", governorate),
            ("programme", programme),
            ("funder", funder),
            ("provider", provider),
        )
        if v is not None
    }
    if funder is not None and funder not in d.funder_groups:
        raise InvalidField("#query/funder", "funds no known programme")
    if len(scopes) > 1:
        raise InvalidField("#query", "filter on one of governorate, programme, funder, provider at a time")
    scope = next(iter(scopes.items()), None)
    if scope and by not in ("month", scope[0]):
        raise InvalidField(
            f"#query/{scope[0]}", f"combines only with by=month or by={scope[0]} (published tables only)"
        )
    view = service.funnel(
        snap.published,
        d,
        by=by,
        period=period_of(start, end),
        return_type=return_type,
        scope=scope,
        own_countries=own_countries(principal, d, request),
        accept_times=snap.accept_times,
    )
    return render(
        view,
        format,
        {"by": by, "return_type": return_type, **scopes, "from": start, "to": end},
        snap.published.audited,
    )


@router.get(
    "/outcomes",
    summary="Follow-up scores at baseline, 3, 6 and 12 months",
    description="By programme (a follow-up counts under every programme of its case's bundle), by "
    "service bundle (the case's taxonomy terms), by governorate or by return type.",
)
@cached_view
async def get_outcomes(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    by: Literal["programme", "bundle", "governorate", "return_type"] = "programme",
    format: Format = "json",
) -> Any:
    view = service.outcomes(
        snap.published,
        snap.directory,
        by=by,
        own_countries=own_countries(principal, snap.directory, request),
        values=snap.followup_programmes if by == "programme" else None,
    )
    return render(view, format, {"by": by}, snap.published.audited)


@router.get("/demographics", summary="Returns or referrals by gender and age band")
@cached_view
async def get_demographics(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    by: Literal["governorate", "programme"] = "governorate",
    measure: Literal["returns", "referrals"] = "returns",
    format: Format = "json",
) -> Any:
    view = service.demographics(snap.published, snap.directory, by=by, measure=measure)
    return render(view, format, {"by": by, "measure": measure}, snap.published.audited)


@router.get(
    "/timeline",
    summary="Programmes and MRC openings on one time axis",
    description=service.MRC_OPENING_NOTE,
)
@cached_view
async def get_timeline(
    request: Request,
    principal: CurrentPrincipal,
    snap: SnapshotDep,
    funder: str | None = None,
    start: From = None,
    end: To = None,
    format: Format = "json",
) -> Any:
    d = snap.directory
    check(d, funder=funder)
    view = service.timeline(
        d, period=period_of(start, end), funder=funder, own_countries=own_countries(principal, d, request)
    )
    return render(view, format, {"funder": funder, "from": start, "to": end}, snap.published.audited)


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"k": 5}]})

    k: int = Field(ge=2, le=100, description="Counts from 1 to k-1 are suppressed.")


@router.get("/suppression", summary="The small-cell threshold k in force")
async def get_threshold(request: Request, session: Session) -> Threshold:
    value = await session.scalar(
        sa.select(coordination_setting.c.value).where(coordination_setting.c.key == "k")
    )
    return Threshold(k=value or request.app.state.settings.default_k)


@router.put(
    "/suppression",
    summary="Set the small-cell threshold k (steering_admin)",
    dependencies=[Depends(require_roles(*SET_THRESHOLD))],
)
async def put_threshold(body: Threshold, session: Session, request: Request) -> Threshold:
    stmt = insert(coordination_setting).values(key="k", value=body.k)
    await session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": body.k}))
    await session.commit()
    request.app.state.snapshots.invalidate()
    return body


__all__ = ["router", "uuid"]
