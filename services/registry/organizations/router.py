"""/v1/organizations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.registry import permissions
from services.registry.common.entity_routes import Write, add_entity_routes
from services.registry.common.model import Session
from services.registry.common.paging import Page, Paging
from services.registry.organizations import repository, service
from services.registry.organizations.models import OrganizationKind
from services.registry.organizations.schemas import OrganizationCreate, OrganizationOut, OrganizationUpdate
from services.registry.search.normalise import tokens
from shared.auth import authenticated_router

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


add_entity_routes(
    router,
    noun="organization",
    id_param="organization_id",
    service=service,
    out=OrganizationOut,
    create_schema=OrganizationCreate,
    update_schema=OrganizationUpdate,
    create=Write("Create an organization (platform admin)", permissions.ORGANIZATION_ADMIN),
    update=Write(
        "Change an organization (platform admin; a provider admin: their own profile)",
        permissions.ORGANIZATION_PROFILE,
    ),
    deactivate=Write(
        "Deactivate an organization with its services and locations (platform admin)",
        permissions.ORGANIZATION_ADMIN,
    ),
)
