"""/v1/programmes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Response, status

from services.registry import permissions
from services.registry.common.codes import CountryCode
from services.registry.common.http import (
    ETAG_RESPONSES,
    READ_RESPONSES,
    IfMatch,
    IfNoneMatch,
    not_modified_response,
    with_etag,
)
from services.registry.common.model import Session
from services.registry.common.paging import Page, Paging
from services.registry.programmes import repository, service
from services.registry.programmes.models import ThematicArea
from services.registry.programmes.schemas import ProgrammeCreate, ProgrammeOut, ProgrammeUpdate
from shared.auth import CurrentPrincipal, authenticated_router, require_roles

router = authenticated_router(prefix="/programmes", tags=["programmes"])


@router.get("", summary="List programmes, by start date")
async def list_programmes(
    session: Session,
    paging: Paging,
    funder: Annotated[
        list[CountryCode] | None, Query(description="Funder country (ISO 3166-1 alpha-2, or EU).")
    ] = None,
    thematic_area: Annotated[list[ThematicArea] | None, Query()] = None,
    service_id: uuid.UUID | None = None,
    organization_id: Annotated[uuid.UUID | None, Query(description="An implementing organization.")] = None,
    running_on: Annotated[date | None, Query(description="Only programmes running on this day.")] = None,
    include_deactivated: bool = False,
) -> Page[ProgrammeOut]:
    rows, total = await repository.search(
        session,
        funders=funder or [],
        thematic_areas=[t.value for t in thematic_area or []],
        service_id=service_id,
        organization_id=organization_id,
        running_on=running_on,
        include_deactivated=include_deactivated,
        offset=paging.offset,
        limit=paging.per_page,
    )
    links = await repository.links(session, [p.id for p in rows])
    return Page[ProgrammeOut].of([service.present(p, links[p.id]) for p in rows], paging, total)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a programme (steering admin)",
    dependencies=[Depends(require_roles(*permissions.PROGRAMME_WRITE))],
    responses=ETAG_RESPONSES,
)
async def create_programme(
    body: ProgrammeCreate, session: Session, principal: CurrentPrincipal, response: Response
) -> ProgrammeOut:
    programme, links = await service.create(session, principal, body)
    with_etag(response, programme.version)
    response.headers["Location"] = f"/v1/programmes/{programme.id}"
    return service.present(programme, links)


@router.get("/{programme_id}", response_model=ProgrammeOut, responses=READ_RESPONSES)
async def get_programme(
    programme_id: uuid.UUID, session: Session, response: Response, if_none_match: IfNoneMatch = None
) -> Any:
    programme, links = await service.get(session, programme_id)
    if (cached := not_modified_response(if_none_match, programme.version)) is not None:
        return cached
    with_etag(response, programme.version)
    return service.present(programme, links)


@router.patch(
    "/{programme_id}",
    summary="Change a programme (steering admin)",
    dependencies=[Depends(require_roles(*permissions.PROGRAMME_WRITE))],
    responses=ETAG_RESPONSES,
)
async def update_programme(
    programme_id: uuid.UUID,
    body: ProgrammeUpdate,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> ProgrammeOut:
    programme, links = await service.update(session, principal, programme_id, body, if_match)
    with_etag(response, programme.version)
    return service.present(programme, links)


@router.post(
    "/{programme_id}/deactivate",
    summary="Deactivate a programme (steering admin)",
    dependencies=[Depends(require_roles(*permissions.PROGRAMME_WRITE))],
    responses=ETAG_RESPONSES,
)
async def deactivate_programme(
    programme_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> ProgrammeOut:
    programme, links = await service.deactivate(session, principal, programme_id, if_match)
    with_etag(response, programme.version)
    return service.present(programme, links)
