"""GET /v1/history: the change history, for admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Query

from services.registry import permissions
from services.registry.common.model import Session
from services.registry.common.paging import Page, Paging
from services.registry.history import repository
from services.registry.history.schemas import ChangeOut
from shared.auth import CurrentPrincipal, authenticated_router, require_roles

router = authenticated_router(prefix="/history", tags=["history"])

EntityType = Literal[
    "organization",
    "location",
    "service",
    "taxonomy_term",
    "programme",
    "eligibility_rule",
    "benefit",
    "cost_of_living_factor",
    "currency_rate",
]


@router.get(
    "",
    summary="Change history (who, when, field, old and new value), newest first",
    description="A provider admin sees the history of their own organization's entries only.",
    dependencies=[Depends(require_roles(*permissions.HISTORY_READ))],
)
async def list_changes(
    session: Session,
    principal: CurrentPrincipal,
    paging: Paging,
    entity_type: EntityType | None = None,
    entity_id: Annotated[str | None, Query(max_length=100)] = None,
    organization_id: uuid.UUID | None = None,
    since: datetime | None = None,
) -> Page[ChangeOut]:
    if not principal.has_role(*permissions.HISTORY_READ_ALL):
        # A provider admin: their own organization, whatever they asked for.
        organization_id = principal.org_id or uuid.UUID(int=0)
    rows, total = await repository.search(
        session,
        entity_type=entity_type,
        entity_id=entity_id,
        organization_id=organization_id,
        since=since,
        offset=paging.offset,
        limit=paging.per_page,
    )
    return Page[ChangeOut].of([ChangeOut.model_validate(r) for r in rows], paging, total)
