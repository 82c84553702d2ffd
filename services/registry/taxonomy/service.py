"""Rules for the taxonomy (steering admin)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import permissions
from services.registry.common.changes import deactivate_row, save_change
from services.registry.common.etag import check_if_match
from services.registry.common.events import publish
from services.registry.common.fields import FieldErrors
from services.registry.search import indexer
from services.registry.taxonomy import repository
from services.registry.taxonomy.models import TaxonomyTerm
from services.registry.taxonomy.schemas import TermCreate, TermUpdate
from shared.auth import Principal
from shared.contracts.registry import (
    TaxonomyTermDeactivated,
    TaxonomyTermState,
    TaxonomyTermUpserted,
    Translations,
)
from shared.errors import NotFound

ENTITY = "taxonomy_term"


async def get(session: AsyncSession, term_id: uuid.UUID) -> TaxonomyTerm:
    term = await repository.get(session, term_id)
    if term is None:
        raise NotFound(f"No taxonomy term {term_id}.")
    return term


async def create(
    session: AsyncSession, actor: Principal, data: TermCreate, *, term_id: uuid.UUID | None = None
) -> TaxonomyTerm:
    permissions.require(actor, permissions.TAXONOMY_WRITE)
    errors = FieldErrors()
    if await repository.by_code(session, data.code) is not None:
        errors.add("/code", f"a term with code {data.code!r} exists already")
    if data.parent_id is not None:
        await _check_parent(session, errors, None, data.parent_id)
    errors.raise_if_any()
    term = TaxonomyTerm(
        id=term_id or uuid.uuid4(),
        code=data.code,
        dimension=data.dimension.value,
        name=data.name.as_dict(),
        description=data.description.as_dict(),
        parent_id=data.parent_id,
    )
    session.add(term)
    await save_change(
        session,
        actor,
        term,
        entity_type=ENTITY,
        organization_id=None,
        action="created",
        before={},
    )
    await publish(session, event(term, TaxonomyTermUpserted), term.id)
    return term


async def update(
    session: AsyncSession, actor: Principal, term_id: uuid.UUID, data: TermUpdate, if_match: str | None
) -> TaxonomyTerm:
    permissions.require(actor, permissions.TAXONOMY_WRITE)
    term = await repository.get(session, term_id, for_update=True)
    if term is None:
        raise NotFound(f"No taxonomy term {term_id}.")
    check_if_match(if_match, term.version)
    changes = data.model_dump(exclude_unset=True)
    errors = FieldErrors()
    errors.not_null(changes, "dimension", "name")
    if changes.get("parent_id") is not None:
        await _check_parent(session, errors, term.id, changes["parent_id"])
    errors.raise_if_any()
    before = term.snapshot()
    if "dimension" in changes:
        term.dimension = data.dimension.value  # type: ignore[union-attr]
    if "name" in changes:
        term.name = data.name.as_dict()  # type: ignore[union-attr]
    if "description" in changes:
        term.description = data.description.as_dict() if data.description else {}
    if "parent_id" in changes:
        term.parent_id = data.parent_id
    after = term.snapshot()
    if after == before:
        return term
    term.touch()
    await save_change(
        session,
        actor,
        term,
        entity_type=ENTITY,
        organization_id=None,
        action="updated",
        before=before,
    )
    await publish(session, event(term, TaxonomyTermUpserted), term.id)
    if (before["name"], before["dimension"]) != (after["name"], after["dimension"]):
        await indexer.reindex_term(session, term.id)  # services are found by term names and dimension
    return term


async def deactivate(
    session: AsyncSession, actor: Principal, term_id: uuid.UUID, if_match: str | None
) -> TaxonomyTerm:
    permissions.require(actor, permissions.TAXONOMY_WRITE)
    term = await repository.get(session, term_id, for_update=True)
    if term is None:
        raise NotFound(f"No taxonomy term {term_id}.")
    check_if_match(if_match, term.version)
    if not await deactivate_row(session, actor, term, entity_type=ENTITY, organization_id=None):
        return term
    await publish(session, event(term, TaxonomyTermDeactivated), term.id)
    await indexer.reindex_term(session, term.id)
    return term


async def _check_parent(
    session: AsyncSession, errors: FieldErrors, term_id: uuid.UUID | None, parent_id: uuid.UUID
) -> None:
    parent = await repository.get(session, parent_id)
    if parent is None or not parent.active:
        errors.add("/parent_id", "names no active taxonomy term")
        return
    seen: set[uuid.UUID] = set()
    current: uuid.UUID | None = parent_id
    while current is not None and current not in seen:
        if current == term_id:
            errors.add("/parent_id", "would make the term its own ancestor")
            return
        seen.add(current)
        current = await repository.parent_of(session, current)


def event(term: TaxonomyTerm, contract: type[TaxonomyTermState]) -> TaxonomyTermState:
    return contract(
        taxonomy_term_id=term.id,
        version=term.version,
        active=term.active,
        updated_at=term.updated_at,
        deactivated_at=term.deactivated_at,
        code=term.code,
        name=Translations(**term.name),
        description=Translations(**term.description),
        dimension=term.dimension,
        parent_id=term.parent_id,
    )
