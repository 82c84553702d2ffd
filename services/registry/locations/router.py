"""/v1/locations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Response, status

from services.registry import permissions
from services.registry.common.codes import GovernorateCode
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
from services.registry.locations import repository, service
from services.registry.locations.schemas import LocationCreate, LocationOut, LocationUpdate
from shared.auth import CurrentPrincipal, authenticated_router, require_roles

router = authenticated_router(prefix="/locations", tags=["locations"])


@router.get("", summary="List locations")
async def list_locations(
    session: Session,
    paging: Paging,
    organization_id: uuid.UUID | None = None,
    governorate: Annotated[list[GovernorateCode] | None, Query()] = None,
    include_deactivated: bool = False,
) -> Page[LocationOut]:
    rows, total = await repository.search(
        session,
        organization_id=organization_id,
        governorates=governorate or [],
        include_deactivated=include_deactivated,
        offset=paging.offset,
        limit=paging.per_page,
    )
    return Page[LocationOut].of([LocationOut.of(r) for r in rows], paging, total)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a location of your organization (provider admin)",
    dependencies=[Depends(require_roles(*permissions.DIRECTORY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def create_location(
    body: LocationCreate, session: Session, principal: CurrentPrincipal, response: Response
) -> LocationOut:
    loc = await service.create(session, principal, body)
    with_etag(response, loc.version)
    response.headers["Location"] = f"/v1/locations/{loc.id}"
    return LocationOut.of(loc)


@router.get("/{location_id}", response_model=LocationOut, responses=READ_RESPONSES)
async def get_location(
    location_id: uuid.UUID, session: Session, response: Response, if_none_match: IfNoneMatch = None
) -> Any:
    loc = await service.get(session, location_id)
    if (cached := not_modified_response(if_none_match, loc.version)) is not None:
        return cached
    with_etag(response, loc.version)
    return LocationOut.of(loc)


@router.patch(
    "/{location_id}",
    summary="Change a location of your organization (provider admin)",
    dependencies=[Depends(require_roles(*permissions.DIRECTORY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def update_location(
    location_id: uuid.UUID,
    body: LocationUpdate,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> LocationOut:
    loc = await service.update(session, principal, location_id, body, if_match)
    with_etag(response, loc.version)
    return LocationOut.of(loc)


@router.post(
    "/{location_id}/deactivate",
    summary="Deactivate a location of your organization (provider admin)",
    dependencies=[Depends(require_roles(*permissions.DIRECTORY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def deactivate_location(
    location_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> LocationOut:
    loc = await service.deactivate(session, principal, location_id, if_match)
    with_etag(response, loc.version)
    return LocationOut.of(loc)
