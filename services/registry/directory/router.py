"""/v1/services: create, read, change, capacity, confirm, deactivate. (Search is GET /v1/services.)"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Depends, Request, Response, status

from services.registry import permissions
from services.registry.common.http import (
    ETAG_RESPONSES,
    READ_RESPONSES,
    IfMatch,
    IfNoneMatch,
    not_modified_response,
    with_etag,
)
from services.registry.common.model import Session
from services.registry.directory import service
from services.registry.directory.schemas import CapacityIn, ServiceCreate, ServiceOut, ServiceUpdate
from shared.auth import CurrentPrincipal, authenticated_router, require_roles

router = authenticated_router(prefix="/services", tags=["services"])


def _stale_days(request: Request) -> int:
    return int(request.app.state.settings.stale_after_days)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a service of your organization (provider admin)",
    dependencies=[Depends(require_roles(*permissions.DIRECTORY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def create_service(
    body: ServiceCreate, session: Session, principal: CurrentPrincipal, request: Request, response: Response
) -> ServiceOut:
    svc, links = await service.create(session, principal, body)
    with_etag(response, svc.version)
    response.headers["Location"] = f"/v1/services/{svc.id}"
    return service.present(svc, links, _stale_days(request))


@router.get("/{service_id}", response_model=ServiceOut, responses=READ_RESPONSES)
async def get_service(
    service_id: uuid.UUID,
    session: Session,
    request: Request,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> Any:
    svc, links = await service.get(session, service_id)
    if (cached := not_modified_response(if_none_match, svc.version)) is not None:
        return cached
    with_etag(response, svc.version)
    return service.present(svc, links, _stale_days(request))


@router.patch(
    "/{service_id}",
    summary="Change a service of your organization (provider admin)",
    dependencies=[Depends(require_roles(*permissions.DIRECTORY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def update_service(
    service_id: uuid.UUID,
    body: ServiceUpdate,
    session: Session,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ServiceOut:
    svc, links = await service.update(session, principal, service_id, body, if_match)
    with_etag(response, svc.version)
    return service.present(svc, links, _stale_days(request))


@router.put(
    "/{service_id}/capacity",
    summary="Set a service's capacity (provider admin or caseworker of its organization)",
    dependencies=[Depends(require_roles(*permissions.CAPACITY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def set_capacity(
    service_id: uuid.UUID,
    body: CapacityIn,
    session: Session,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ServiceOut:
    svc, links = await service.set_capacity(session, principal, service_id, body, if_match)
    with_etag(response, svc.version)
    return service.present(svc, links, _stale_days(request))


@router.post(
    "/{service_id}/confirm",
    summary="Confirm the entry is still right: it is no longer stale (provider admin)",
    description="If-Match is optional here: confirming changes no content, so it cannot lose an update.",
    dependencies=[Depends(require_roles(*permissions.DIRECTORY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def confirm_service(
    service_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ServiceOut:
    svc, links = await service.confirm(session, principal, service_id, if_match)
    with_etag(response, svc.version)
    return service.present(svc, links, _stale_days(request))


@router.post(
    "/{service_id}/deactivate",
    summary="Deactivate a service of your organization (provider admin)",
    dependencies=[Depends(require_roles(*permissions.DIRECTORY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def deactivate_service(
    service_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> ServiceOut:
    svc, links = await service.deactivate(session, principal, service_id, if_match)
    with_etag(response, svc.version)
    return service.present(svc, links, _stale_days(request))
