"""Rules for locations. A provider admin writes their own organization's locations only."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import permissions
from services.registry.common.changes import deactivate_row, save_change
from services.registry.common.etag import check_if_match
from services.registry.common.events import publish
from services.registry.common.fields import FieldErrors
from services.registry.locations import repository
from services.registry.locations.models import Location, LocationType
from services.registry.locations.schemas import LocationCreate, LocationUpdate
from services.registry.organizations import repository as organizations
from services.registry.places import catalogue
from services.registry.search import indexer
from shared.auth import Principal
from shared.contracts.registry import LocationDeactivated, LocationState, LocationUpserted, Translations
from shared.errors import NotFound

ENTITY = "location"


async def get(session: AsyncSession, location_id: uuid.UUID) -> Location:
    loc = await repository.get(session, location_id)
    if loc is None:
        raise NotFound(f"No location {location_id}.")
    return loc


async def create(
    session: AsyncSession, actor: Principal, data: LocationCreate, *, location_id: uuid.UUID | None = None
) -> Location:
    permissions.require(actor, permissions.DIRECTORY_WRITE)
    permissions.require_own_organization(actor, data.organization_id, "location")
    errors = FieldErrors()
    if not await organizations.existing_ids(session, [data.organization_id]):
        errors.add("/organization_id", "names no active organization")
    loc = Location(
        id=location_id or uuid.uuid4(),
        organization_id=data.organization_id,
        location_type=data.location_type.value,
        name=data.name.as_dict(),
        description=data.description.as_dict(),
        address=data.address,
        governorate_code=data.governorate_code,
        district_code=data.district_code,
        latitude=data.latitude,
        longitude=data.longitude,
        url=data.url,
    )
    _check(loc, errors)
    errors.raise_if_any()
    session.add(loc)
    await save_change(
        session,
        actor,
        loc,
        entity_type=ENTITY,
        organization_id=loc.organization_id,
        action="created",
        before={},
    )
    await publish(session, event(loc, LocationUpserted), loc.id)
    return loc


async def update(
    session: AsyncSession,
    actor: Principal,
    location_id: uuid.UUID,
    data: LocationUpdate,
    if_match: str | None,
) -> Location:
    permissions.require(actor, permissions.DIRECTORY_WRITE)
    loc = await repository.get(session, location_id, for_update=True)
    if loc is None:
        raise NotFound(f"No location {location_id}.")
    permissions.require_own_organization(actor, loc.organization_id, "location")
    check_if_match(if_match, loc.version)
    changes = data.model_dump(exclude_unset=True)
    errors = FieldErrors()
    errors.not_null(changes, "location_type", "name")
    errors.raise_if_any()
    before = loc.snapshot()
    if "location_type" in changes:
        loc.location_type = data.location_type.value  # type: ignore[union-attr]
    if "name" in changes:
        loc.name = data.name.as_dict()  # type: ignore[union-attr]
    if "description" in changes:
        loc.description = data.description.as_dict() if data.description else {}
    for field in ("address", "governorate_code", "district_code", "latitude", "longitude", "url"):
        if field in changes:
            setattr(loc, field, getattr(data, field))
    moved = "governorate_code" in changes and "district_code" not in changes and loc.district_code is not None
    if moved and (
        loc.governorate_code is None
        or catalogue.district_governorate(loc.district_code) != loc.governorate_code  # type: ignore[arg-type]
    ):
        loc.district_code = None  # moved to another governorate: the old district no longer applies
    _check(loc, errors)
    errors.raise_if_any()
    after = loc.snapshot()
    if after == before:
        return loc
    loc.touch()
    await save_change(
        session,
        actor,
        loc,
        entity_type=ENTITY,
        organization_id=loc.organization_id,
        action="updated",
        before=before,
    )
    await publish(session, event(loc, LocationUpserted), loc.id)
    if (before["governorate_code"], before["district_code"]) != (
        after["governorate_code"],
        after["district_code"],
    ):
        await indexer.reindex_location(session, loc.id)  # where its services are found changed
    return loc


async def deactivate(
    session: AsyncSession, actor: Principal, location_id: uuid.UUID, if_match: str | None
) -> Location:
    permissions.require(actor, permissions.DIRECTORY_WRITE)
    loc = await repository.get(session, location_id, for_update=True)
    if loc is None:
        raise NotFound(f"No location {location_id}.")
    permissions.require_own_organization(actor, loc.organization_id, "location")
    check_if_match(if_match, loc.version)
    await _deactivate(session, actor, loc)
    return loc


async def deactivate_all_of(session: AsyncSession, actor: Principal, organization_id: uuid.UUID) -> None:
    """Part of deactivating an organization."""
    for loc in await repository.active_of_organization(session, organization_id):
        await _deactivate(session, actor, loc)


async def _deactivate(session: AsyncSession, actor: Principal, loc: Location) -> None:
    if not await deactivate_row(session, actor, loc, entity_type=ENTITY, organization_id=loc.organization_id):
        return
    await publish(session, event(loc, LocationDeactivated), loc.id)
    await indexer.reindex_location(session, loc.id)


def _check(loc: Location, errors: FieldErrors) -> None:
    if loc.location_type == LocationType.physical and loc.governorate_code is None:
        errors.add("/governorate_code", "a physical location needs its governorate")
    if (
        loc.district_code is not None
        and loc.governorate_code is not None
        and catalogue.district_governorate(loc.district_code) != loc.governorate_code
    ):
        errors.add(
            "/district_code", f"district {loc.district_code} is not in governorate {loc.governorate_code}"
        )
    if loc.district_code is not None and loc.governorate_code is None:
        errors.add("/governorate_code", "a district needs its governorate")


def event(loc: Location, contract: type[LocationState]) -> LocationState:
    return contract(
        location_id=loc.id,
        organization_id=loc.organization_id,
        version=loc.version,
        active=loc.active,
        updated_at=loc.updated_at,
        deactivated_at=loc.deactivated_at,
        location_type=loc.location_type,
        name=Translations(**loc.name),
        address=loc.address,
        governorate_code=loc.governorate_code,
        district_code=loc.district_code,
        latitude=loc.latitude,
        longitude=loc.longitude,
        url=loc.url,
    )
