"""/v1/organizations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Response, status

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
from services.registry.common.paging import Page, Paging
from services.registry.organizations import repository, service
from services.registry.organizations.models import OrganizationKind
from services.registry.organizations.schemas import OrganizationCreate, OrganizationOut, OrganizationUpdate
from services.registry.search.normalise import tokens
from shared.auth import CurrentPrincipal, authenticated_router, require_roles

router = authenticated_router(prefix="/organizations", tags=["organizations"])


@router.get("", summary="List organizations (name search in any of the three languages)")
async def list_organizations(
    session: Session,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200, description="Words of the name, any language.")] = None,
    kind: Annotated[list[OrganizationKind] | None, Query()] = None,
    include_deactivated: bool = False,
) -> Page[OrganizationOut]:
    rows, total = await repository.search(
        session,
        words=tokens(q),
        kinds=[k.value for k in kind or []],
        include_deactivated=include_deactivated,
        offset=paging.offset,
        limit=paging.per_page,
    )
    return Page[OrganizationOut].of([OrganizationOut.of(o) for o in rows], paging, total)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an organization (platform admin)",
    dependencies=[Depends(require_roles(*permissions.ORGANIZATION_ADMIN))],
    responses=ETAG_RESPONSES,
)
async def create_organization(
    body: OrganizationCreate, session: Session, principal: CurrentPrincipal, response: Response
) -> OrganizationOut:
    org = await service.create(session, principal, body)
    with_etag(response, org.version)
    response.headers["Location"] = f"/v1/organizations/{org.id}"
    return OrganizationOut.of(org)


@router.get("/{organization_id}", response_model=OrganizationOut, responses=READ_RESPONSES)
async def get_organization(
    organization_id: uuid.UUID, session: Session, response: Response, if_none_match: IfNoneMatch = None
) -> Any:
    org = await service.get(session, organization_id)
    if (cached := not_modified_response(if_none_match, org.version)) is not None:
        return cached
    with_etag(response, org.version)
    return OrganizationOut.of(org)


@router.patch(
    "/{organization_id}",
    summary="Change an organization (platform admin; a provider admin: their own profile)",
    dependencies=[Depends(require_roles(*permissions.ORGANIZATION_PROFILE))],
    responses=ETAG_RESPONSES,
)
async def update_organization(
    organization_id: uuid.UUID,
    body: OrganizationUpdate,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> OrganizationOut:
    org = await service.update(session, principal, organization_id, body, if_match)
    with_etag(response, org.version)
    return OrganizationOut.of(org)


@router.post(
    "/{organization_id}/deactivate",
    summary="Deactivate an organization with its services and locations (platform admin)",
    dependencies=[Depends(require_roles(*permissions.ORGANIZATION_ADMIN))],
    responses=ETAG_RESPONSES,
)
async def deactivate_organization(
    organization_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> OrganizationOut:
    org = await service.deactivate(session, principal, organization_id, if_match)
    with_etag(response, org.version)
    return OrganizationOut.of(org)
