"""/v1/locations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from services.registry import permissions
from services.registry.common.codes import GovernorateCode
from services.registry.common.entity_routes import Write, add_entity_routes
from services.registry.common.model import Session
from services.registry.common.paging import Page, Paging
from services.registry.locations import repository, service
from services.registry.locations.schemas import LocationCreate, LocationOut, LocationUpdate
from shared.auth import authenticated_router

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


add_entity_routes(
    router,
    noun="location",
    id_param="location_id",
    service=service,
    out=LocationOut,
    create_schema=LocationCreate,
    update_schema=LocationUpdate,
    create=Write("Create a location of your organization (provider admin)", permissions.DIRECTORY_WRITE),
    update=Write("Change a location of your organization (provider admin)", permissions.DIRECTORY_WRITE),
    deactivate=Write(
        "Deactivate a location of your organization (provider admin)", permissions.DIRECTORY_WRITE
    ),
)
