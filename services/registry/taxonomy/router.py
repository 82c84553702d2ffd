"""/v1/taxonomy-terms."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from services.registry import permissions
from services.registry.common.entity_routes import Write, add_entity_routes
from services.registry.common.model import Session
from services.registry.common.paging import Page, Paging
from services.registry.search.normalise import tokens
from services.registry.taxonomy import repository, service
from services.registry.taxonomy.models import Dimension
from services.registry.taxonomy.schemas import TermCreate, TermOut, TermUpdate
from shared.auth import authenticated_router

router = authenticated_router(prefix="/taxonomy-terms", tags=["taxonomy"])


@router.get("", summary="List taxonomy terms")
async def list_terms(
    session: Session,
    paging: Paging,
    dimension: Annotated[list[Dimension] | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    parent_id: uuid.UUID | None = None,
    top_only: bool = False,
    include_deactivated: bool = False,
) -> Page[TermOut]:
    rows, total = await repository.search(
        session,
        dimensions=[d.value for d in dimension or []],
        parent_id=parent_id,
        top_only=top_only,
        words=tokens(q),
        include_deactivated=include_deactivated,
        offset=paging.offset,
        limit=paging.per_page,
    )
    return Page[TermOut].of([TermOut.of(t) for t in rows], paging, total)


add_entity_routes(
    router,
    noun="term",
    id_param="term_id",
    service=service,
    out=TermOut,
    create_schema=TermCreate,
    update_schema=TermUpdate,
    create=Write("Create a taxonomy term (steering admin)", permissions.TAXONOMY_WRITE),
    update=Write("Change a taxonomy term (steering admin)", permissions.TAXONOMY_WRITE),
    deactivate=Write("Deactivate a taxonomy term (steering admin)", permissions.TAXONOMY_WRITE),
)
