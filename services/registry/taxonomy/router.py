"""/v1/taxonomy-terms."""

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
from services.registry.search.normalise import tokens
from services.registry.taxonomy import repository, service
from services.registry.taxonomy.models import Dimension
from services.registry.taxonomy.schemas import TermCreate, TermOut, TermUpdate
from shared.auth import CurrentPrincipal, authenticated_router, require_roles

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


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a taxonomy term (steering admin)",
    dependencies=[Depends(require_roles(*permissions.TAXONOMY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def create_term(
    body: TermCreate, session: Session, principal: CurrentPrincipal, response: Response
) -> TermOut:
    term = await service.create(session, principal, body)
    with_etag(response, term.version)
    response.headers["Location"] = f"/v1/taxonomy-terms/{term.id}"
    return TermOut.of(term)


@router.get("/{term_id}", response_model=TermOut, responses=READ_RESPONSES)
async def get_term(
    term_id: uuid.UUID, session: Session, response: Response, if_none_match: IfNoneMatch = None
) -> Any:
    term = await service.get(session, term_id)
    if (cached := not_modified_response(if_none_match, term.version)) is not None:
        return cached
    with_etag(response, term.version)
    return TermOut.of(term)


@router.patch(
    "/{term_id}",
    summary="Change a taxonomy term (steering admin)",
    dependencies=[Depends(require_roles(*permissions.TAXONOMY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def update_term(
    term_id: uuid.UUID,
    body: TermUpdate,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> TermOut:
    term = await service.update(session, principal, term_id, body, if_match)
    with_etag(response, term.version)
    return TermOut.of(term)


@router.post(
    "/{term_id}/deactivate",
    summary="Deactivate a taxonomy term (steering admin)",
    dependencies=[Depends(require_roles(*permissions.TAXONOMY_WRITE))],
    responses=ETAG_RESPONSES,
)
async def deactivate_term(
    term_id: uuid.UUID,
    session: Session,
    principal: CurrentPrincipal,
    response: Response,
    if_match: IfMatch = None,
) -> TermOut:
    term = await service.deactivate(session, principal, term_id, if_match)
    with_etag(response, term.version)
    return TermOut.of(term)
