"""Rules for organizations. Never commits: the request's unit of work does."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import permissions
from services.registry.common.changes import deactivate_row, save_change
from services.registry.common.etag import check_if_match
from services.registry.common.events import publish
from services.registry.common.fields import FieldErrors
from services.registry.organizations import repository
from services.registry.organizations.models import Organization
from services.registry.organizations.schemas import OrganizationCreate, OrganizationUpdate
from services.registry.search import indexer
from services.registry.search.normalise import normalise
from shared.auth import Principal
from shared.contracts.registry import (
    OrganizationDeactivated,
    OrganizationState,
    OrganizationUpserted,
    Translations,
)
from shared.errors import Forbidden, NotFound

ENTITY = "organization"
# What a provider admin may not change about their own organization.
_PLATFORM_ONLY_FIELDS = {"kind", "parent_organization_id"}


async def get(session: AsyncSession, organization_id: uuid.UUID) -> Organization:
    org = await repository.get(session, organization_id)
    if org is None:
        raise NotFound(f"No organization {organization_id}.")
    return org


async def create(
    session: AsyncSession,
    actor: Principal,
    data: OrganizationCreate,
    *,
    organization_id: uuid.UUID | None = None,
) -> Organization:
    permissions.require(actor, permissions.ORGANIZATION_ADMIN)
    errors = FieldErrors()
    if data.parent_organization_id is not None:
        await _check_parent(session, errors, None, data.parent_organization_id)
    errors.raise_if_any()
    org = Organization(
        id=organization_id or uuid.uuid4(),
        kind=data.kind.value,
        name=data.name.as_dict(),
        description=data.description.as_dict(),
        email=data.email,
        phone=data.phone,
        website=data.website,
        country_code=data.country_code,
        parent_id=data.parent_organization_id,
    )
    org.search_text = _search_text(org)
    session.add(org)
    await save_change(
        session,
        actor,
        org,
        entity_type=ENTITY,
        organization_id=org.id,
        action="created",
        before={},
    )
    await publish(session, event(org, OrganizationUpserted), org.id)
    return org


async def update(
    session: AsyncSession,
    actor: Principal,
    organization_id: uuid.UUID,
    data: OrganizationUpdate,
    if_match: str | None,
) -> Organization:
    permissions.require(actor, permissions.ORGANIZATION_PROFILE)
    org = await repository.get(session, organization_id, for_update=True)
    if org is None:
        raise NotFound(f"No organization {organization_id}.")
    is_platform = permissions.is_system(actor) or actor.has_role(*permissions.ORGANIZATION_ADMIN)
    if not is_platform:
        permissions.require_own_organization(actor, org.id, "organization")
    check_if_match(if_match, org.version)
    changes = data.model_dump(exclude_unset=True)
    before = org.snapshot()
    if not is_platform:
        forbidden = sorted(f for f in _PLATFORM_ONLY_FIELDS & changes.keys() if changes[f] != before.get(f))
        if forbidden:
            raise Forbidden(f"Only a platform admin may change {', '.join(forbidden)}.")
    errors = FieldErrors()
    errors.not_null(changes, "kind", "name")
    if changes.get("parent_organization_id") is not None:
        await _check_parent(session, errors, org.id, changes["parent_organization_id"])
    errors.raise_if_any()

    if "kind" in changes:
        org.kind = data.kind.value  # type: ignore[union-attr]
    if "name" in changes:
        org.name = data.name.as_dict()  # type: ignore[union-attr]
    if "description" in changes:
        org.description = data.description.as_dict() if data.description else {}
    for field in ("email", "phone", "website", "country_code"):
        if field in changes:
            setattr(org, field, getattr(data, field))
    if "parent_organization_id" in changes:
        org.parent_id = data.parent_organization_id
    after = org.snapshot()
    if after == before:
        return org  # nothing changed: no new version, no event
    org.search_text = _search_text(org)
    org.touch()
    await save_change(
        session,
        actor,
        org,
        entity_type=ENTITY,
        organization_id=org.id,
        action="updated",
        before=before,
    )
    await publish(session, event(org, OrganizationUpserted), org.id)
    if before["name"] != after["name"] or before["kind"] != after["kind"]:
        # Search results show the organization's name and filter on its kind.
        await indexer.reindex_organization(session, org.id)
    return org


async def deactivate(
    session: AsyncSession, actor: Principal, organization_id: uuid.UUID, if_match: str | None
) -> Organization:
    """Deactivate an organization and, with it, its services and locations (one transaction)."""
    from services.registry.directory import service as directory
    from services.registry.locations import service as locations

    permissions.require(actor, permissions.ORGANIZATION_ADMIN)
    org = await repository.get(session, organization_id, for_update=True)
    if org is None:
        raise NotFound(f"No organization {organization_id}.")
    check_if_match(if_match, org.version)
    if not await deactivate_row(session, actor, org, entity_type=ENTITY, organization_id=org.id):
        return org
    await publish(session, event(org, OrganizationDeactivated), org.id)
    await directory.deactivate_all_of(session, actor, org.id)
    await locations.deactivate_all_of(session, actor, org.id)
    return org


async def _check_parent(
    session: AsyncSession, errors: FieldErrors, org_id: uuid.UUID | None, parent_id: uuid.UUID
) -> None:
    if parent_id == org_id:
        errors.add("/parent_organization_id", "an organization cannot be its own parent")
        return
    if not await repository.existing_ids(session, [parent_id]):
        errors.add("/parent_organization_id", "names no active organization")
        return
    # Walk up from the new parent: meeting ourselves would make a cycle.
    seen: set[uuid.UUID] = set()
    current: uuid.UUID | None = parent_id
    while current is not None and current not in seen:
        if current == org_id:
            errors.add("/parent_organization_id", "would make the organization its own ancestor")
            return
        seen.add(current)
        current = await repository.parent_of(session, current)


def _search_text(org: Organization) -> str:
    return normalise(" ".join(org.name.values()))


def event(org: Organization, contract: type[OrganizationState]) -> OrganizationState:
    return contract(
        organization_id=org.id,
        version=org.version,
        active=org.active,
        updated_at=org.updated_at,
        deactivated_at=org.deactivated_at,
        kind=org.kind,
        name=Translations(**org.name),
        description=Translations(**org.description),
        email=org.email,
        phone=org.phone,
        website=org.website,
        country_code=org.country_code,
        parent_organization_id=org.parent_id,
    )
