"""Rules for services, their capacity and their verification. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import permissions
from services.registry.common.etag import check_if_match
from services.registry.common.events import publish
from services.registry.common.fields import FieldErrors
from services.registry.directory import repository
from services.registry.directory.freshness import is_stale
from services.registry.directory.models import Service, ServiceStatus
from services.registry.directory.repository import Links
from services.registry.directory.schemas import (
    CapacityIn,
    CapacityOut,
    ServiceAreaIn,
    ServiceAreaOut,
    ServiceCreate,
    ServiceOut,
    ServiceUpdate,
)
from services.registry.history import service as history
from services.registry.locations import repository as locations
from services.registry.organizations import repository as organizations
from services.registry.search import indexer
from services.registry.taxonomy import repository as taxonomy
from shared.auth import Principal
from shared.contracts.registry import (
    Capacity,
    ServiceAreaState,
    ServiceDeactivated,
    ServiceState,
    ServiceUpserted,
    Translations,
)
from shared.db import utcnow
from shared.errors import NotFound

ENTITY = "service"


async def get(session: AsyncSession, service_id: uuid.UUID) -> tuple[Service, Links]:
    svc = await repository.get(session, service_id)
    if svc is None:
        raise NotFound(f"No service {service_id}.")
    return svc, (await repository.links(session, [svc.id]))[svc.id]


def present(svc: Service, links: Links, stale_after_days: int) -> ServiceOut:
    return ServiceOut(
        id=svc.id,
        organization_id=svc.organization_id,
        status=ServiceStatus(svc.status),
        name=svc.name,
        description=svc.description,
        application_process=svc.application_process,
        fees_description=svc.fees_description,
        languages=list(svc.languages),
        required_documents=list(svc.required_documents),
        accepts_referrals=svc.accepts_referrals,
        referral_response_hours=svc.referral_response_hours,
        capacity=CapacityOut(
            open_places=svc.open_places,
            waitlist_length=svc.waitlist_length,
            updated_at=svc.capacity_updated_at,
        ),
        taxonomy_terms=list(links.term_codes),
        location_ids=list(links.location_ids),
        service_areas=[ServiceAreaOut(governorate_code=g, district_code=d) for g, d in links.areas],
        email=svc.email,
        url=svc.url,
        assured_at=svc.assured_at,
        assured_by=svc.assured_by,
        stale=is_stale(svc.assured_at, stale_after_days),
        active=svc.active,
        version=svc.version,
        created_at=svc.created_at,
        updated_at=svc.updated_at,
        deactivated_at=svc.deactivated_at,
    )


async def create(
    session: AsyncSession,
    actor: Principal,
    data: ServiceCreate,
    *,
    service_id: uuid.UUID | None = None,
    assured_at: datetime | None = None,
) -> tuple[Service, Links]:
    """Create a service. ``assured_at`` is for imports that know when the entry was last verified."""
    permissions.require(actor, permissions.DIRECTORY_WRITE)
    permissions.require_own_organization(actor, data.organization_id, "service")
    errors = FieldErrors()
    if not await organizations.existing_ids(session, [data.organization_id]):
        errors.add("/organization_id", "names no active organization")
    term_ids = await _resolve_terms(session, errors, data.taxonomy_terms)
    await _check_locations(session, errors, data.organization_id, data.location_ids)
    errors.raise_if_any()
    now = utcnow()
    svc = Service(
        id=service_id or uuid.uuid4(),
        organization_id=data.organization_id,
        status=data.status.value,
        name=data.name.as_dict(),
        description=data.description.as_dict(),
        application_process=data.application_process.as_dict(),
        fees_description=data.fees_description.as_dict(),
        languages=list(dict.fromkeys(data.languages)),
        required_documents=list(data.required_documents),
        accepts_referrals=data.accepts_referrals,
        referral_response_hours=data.referral_response_hours,
        email=data.email,
        url=data.url,
        # Whoever enters a service vouches for it at that moment (unless an import knows better).
        assured_at=assured_at or now,
        assured_by=actor.username,
    )
    if data.capacity is not None:
        svc.open_places = data.capacity.open_places
        svc.waitlist_length = data.capacity.waitlist_length
        svc.capacity_updated_at = now
    session.add(svc)
    await session.flush()
    await repository.set_terms(session, svc.id, term_ids)
    await repository.set_locations(session, svc.id, data.location_ids)
    await repository.set_areas(session, svc.id, _areas(data.service_areas))
    links = (await repository.links(session, [svc.id]))[svc.id]
    await _changed(session, actor, svc, links, "created", {})
    return svc, links


async def update(
    session: AsyncSession, actor: Principal, service_id: uuid.UUID, data: ServiceUpdate, if_match: str | None
) -> tuple[Service, Links]:
    svc, links = await _lock_own(session, actor, service_id, permissions.DIRECTORY_WRITE)
    check_if_match(if_match, svc.version)
    changes = data.model_dump(exclude_unset=True)
    errors = FieldErrors()
    for field in ("status", "name", "accepts_referrals", "referral_response_hours"):
        if field in changes and changes[field] is None:
            errors.add(f"/{field}", "may not be null")
    term_ids = (
        await _resolve_terms(session, errors, data.taxonomy_terms or [])
        if "taxonomy_terms" in changes
        else None
    )
    if "location_ids" in changes:
        await _check_locations(session, errors, svc.organization_id, data.location_ids or [])
    errors.raise_if_any()
    before = {**svc.snapshot(), **links.snapshot()}
    if "status" in changes:
        svc.status = data.status.value  # type: ignore[union-attr]
    for field in ("name", "description", "application_process", "fees_description"):
        if field in changes:
            value = getattr(data, field)
            setattr(svc, field, value.as_dict() if value is not None else {})
    if "languages" in changes:
        svc.languages = list(dict.fromkeys(data.languages or []))
    if "required_documents" in changes:
        svc.required_documents = list(data.required_documents or [])
    for field in ("accepts_referrals", "referral_response_hours", "email", "url"):
        if field in changes:
            setattr(svc, field, getattr(data, field))
    if term_ids is not None:
        await repository.set_terms(session, svc.id, term_ids)
    if "location_ids" in changes:
        await repository.set_locations(session, svc.id, data.location_ids or [])
    if "service_areas" in changes:
        await repository.set_areas(session, svc.id, _areas(data.service_areas or []))
    links = (await repository.links(session, [svc.id]))[svc.id]
    if {**svc.snapshot(), **links.snapshot()} == before:
        return svc, links
    await _changed(session, actor, svc, links, "updated", before)
    return svc, links


async def set_capacity(
    session: AsyncSession, actor: Principal, service_id: uuid.UUID, data: CapacityIn, if_match: str | None
) -> tuple[Service, Links]:
    svc, links = await _lock_own(session, actor, service_id, permissions.CAPACITY_WRITE)
    check_if_match(if_match, svc.version)
    before = {**svc.snapshot(), **links.snapshot()}
    svc.open_places = data.open_places
    svc.waitlist_length = data.waitlist_length
    # Stamped even when the numbers stay: "still 3 places" is news for a counsellor, too.
    svc.capacity_updated_at = utcnow()
    await _changed(session, actor, svc, links, "capacity", before)
    return svc, links


async def confirm(
    session: AsyncSession, actor: Principal, service_id: uuid.UUID, if_match: str | None
) -> tuple[Service, Links]:
    """A provider admin vouches that the entry is still right: it is fresh again."""
    svc, links = await _lock_own(session, actor, service_id, permissions.DIRECTORY_WRITE)
    # Confirming overwrites nothing, so If-Match is honoured when sent but not required.
    check_if_match(if_match, svc.version, required=False)
    before = {**svc.snapshot(), **links.snapshot()}
    svc.assured_at = utcnow()
    svc.assured_by = actor.username
    await _changed(session, actor, svc, links, "confirmed", before)
    return svc, links


async def deactivate(
    session: AsyncSession, actor: Principal, service_id: uuid.UUID, if_match: str | None
) -> tuple[Service, Links]:
    svc, links = await _lock_own(session, actor, service_id, permissions.DIRECTORY_WRITE)
    check_if_match(if_match, svc.version)
    await _deactivate(session, actor, svc, links)
    return svc, links


async def deactivate_all_of(session: AsyncSession, actor: Principal, organization_id: uuid.UUID) -> None:
    """Part of deactivating an organization."""
    services = await repository.active_of_organization(session, organization_id)
    all_links = await repository.links(session, [s.id for s in services])
    for svc in services:
        await _deactivate(session, actor, svc, all_links[svc.id])


async def _deactivate(session: AsyncSession, actor: Principal, svc: Service, links: Links) -> None:
    if not svc.active:
        return
    before = {**svc.snapshot(), **links.snapshot()}
    svc.deactivated_at = utcnow()
    await _changed(session, actor, svc, links, "deactivated", before)


async def _changed(
    session: AsyncSession,
    actor: Principal,
    svc: Service,
    links: Links,
    action: str,
    before: dict[str, object],
) -> None:
    """One more version: history, the event (full state) and the search row, all in this transaction."""
    if action != "created":
        svc.touch()
    await session.flush()
    await history.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=svc.id,
        organization_id=svc.organization_id,
        version=svc.version,
        action=action,
        before=before,
        after={**svc.snapshot(), **links.snapshot()},
    )
    contract = ServiceDeactivated if not svc.active else ServiceUpserted
    await publish(session, event(svc, links, contract), svc.id)
    await indexer.reindex_services(session, [svc.id])


async def _lock_own(
    session: AsyncSession, actor: Principal, service_id: uuid.UUID, roles: tuple[str, ...]
) -> tuple[Service, Links]:
    permissions.require(actor, roles)  # type: ignore[arg-type]
    svc = await repository.get(session, service_id, for_update=True)
    if svc is None:
        raise NotFound(f"No service {service_id}.")
    permissions.require_own_organization(actor, svc.organization_id, "service")
    return svc, (await repository.links(session, [svc.id]))[svc.id]


async def _resolve_terms(session: AsyncSession, errors: FieldErrors, codes: Sequence[str]) -> list[uuid.UUID]:
    known = await taxonomy.active_ids_by_code(session, codes)
    for i, code in enumerate(codes):
        if code not in known:
            errors.add(f"/taxonomy_terms/{i}", f"{code!r} is not an active taxonomy term code")
    return [known[c] for c in codes if c in known]


async def _check_locations(
    session: AsyncSession, errors: FieldErrors, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> None:
    owners = await locations.owners(session, ids)
    for i, loc in enumerate(ids):
        if loc not in owners:
            errors.add(f"/location_ids/{i}", "names no active location")
        elif owners[loc] != organization_id:
            errors.add(f"/location_ids/{i}", "is a location of another organization")


def _areas(areas: Sequence[ServiceAreaIn]) -> list[tuple[str, str | None]]:
    return [(a.governorate_code, a.district_code) for a in areas]


def event(svc: Service, links: Links, contract: type[ServiceState]) -> ServiceState:
    return contract(
        service_id=svc.id,
        organization_id=svc.organization_id,
        version=svc.version,
        active=svc.active,
        updated_at=svc.updated_at,
        deactivated_at=svc.deactivated_at,
        status=svc.status,
        name=Translations(**svc.name),
        description=Translations(**svc.description),
        application_process=Translations(**svc.application_process),
        fees_description=Translations(**svc.fees_description),
        languages=list(svc.languages),
        required_documents=list(svc.required_documents),
        accepts_referrals=svc.accepts_referrals,
        referral_response_hours=svc.referral_response_hours,
        capacity=Capacity(
            open_places=svc.open_places,
            waitlist_length=svc.waitlist_length,
            updated_at=svc.capacity_updated_at,
        ),
        assured_at=svc.assured_at,
        taxonomy_term_codes=list(links.term_codes),
        location_ids=list(links.location_ids),
        service_areas=[ServiceAreaState(governorate_code=g, district_code=d) for g, d in links.areas],
        email=svc.email,
        url=svc.url,
    )
