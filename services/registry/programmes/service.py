"""Rules for programmes (steering admin). Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import permissions
from services.registry.common.changes import save_change
from services.registry.common.etag import check_if_match
from services.registry.common.events import publish
from services.registry.common.fields import FieldErrors
from services.registry.directory import repository as directory
from services.registry.organizations import repository as organizations
from services.registry.programmes import repository
from services.registry.programmes.models import Programme
from services.registry.programmes.repository import ProgrammeLinks
from services.registry.programmes.schemas import ProgrammeCreate, ProgrammeOut, ProgrammeUpdate
from services.registry.search import indexer
from shared.auth import Principal
from shared.contracts.registry import ProgrammeDeactivated, ProgrammeState, ProgrammeUpserted, Translations
from shared.db import utcnow
from shared.errors import NotFound

ENTITY = "programme"


async def get(session: AsyncSession, programme_id: uuid.UUID) -> tuple[Programme, ProgrammeLinks]:
    programme = await repository.get(session, programme_id)
    if programme is None:
        raise NotFound(f"No programme {programme_id}.")
    return programme, (await repository.links(session, [programme.id]))[programme.id]


def present(programme: Programme, links: ProgrammeLinks) -> ProgrammeOut:
    return ProgrammeOut.model_validate(
        {
            **{
                k: getattr(programme, k)
                for k in (
                    "id",
                    "name",
                    "description",
                    "funder_countries",
                    "funding_instruments",
                    "thematic_areas",
                    "target_group",
                    "eligible_return_types",
                    "starts_on",
                    "ends_on",
                    "active",
                    "version",
                    "created_at",
                    "updated_at",
                    "deactivated_at",
                )
            },
            "implementing_organization_ids": links.implementing_organization_ids,
            "service_ids": links.service_ids,
        }
    )


async def create(
    session: AsyncSession, actor: Principal, data: ProgrammeCreate, *, programme_id: uuid.UUID | None = None
) -> tuple[Programme, ProgrammeLinks]:
    permissions.require(actor, permissions.PROGRAMME_WRITE)
    errors = FieldErrors()
    await _check_links(session, errors, data.implementing_organization_ids, data.service_ids)
    errors.raise_if_any()
    programme = Programme(
        id=programme_id or uuid.uuid4(),
        name=data.name.as_dict(),
        description=data.description.as_dict(),
        funder_countries=list(dict.fromkeys(data.funder_countries)),
        funding_instruments=[f.value for f in dict.fromkeys(data.funding_instruments)],
        thematic_areas=[t.value for t in dict.fromkeys(data.thematic_areas)],
        target_group=data.target_group.value,
        eligible_return_types=[r.value for r in dict.fromkeys(data.eligible_return_types)],
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    session.add(programme)
    await session.flush()
    await repository.set_links(
        session, programme.id, implementers=data.implementing_organization_ids, services=data.service_ids
    )
    links = (await repository.links(session, [programme.id]))[programme.id]
    await _changed(session, actor, programme, links, "created", {}, affected=set(links.service_ids))
    return programme, links


async def update(
    session: AsyncSession,
    actor: Principal,
    programme_id: uuid.UUID,
    data: ProgrammeUpdate,
    if_match: str | None,
) -> tuple[Programme, ProgrammeLinks]:
    from services.registry.eligibility import service as eligibility

    permissions.require(actor, permissions.PROGRAMME_WRITE)
    programme = await repository.get(session, programme_id, for_update=True)
    if programme is None:
        raise NotFound(f"No programme {programme_id}.")
    check_if_match(if_match, programme.version)
    changes = data.model_dump(exclude_unset=True)
    links = (await repository.links(session, [programme.id]))[programme.id]
    errors = FieldErrors()
    errors.not_null(
        changes,
        "name",
        "funder_countries",
        "funding_instruments",
        "thematic_areas",
        "target_group",
        "eligible_return_types",
        "starts_on",
    )
    errors.raise_if_any()
    await _check_links(session, errors, data.implementing_organization_ids or [], data.service_ids or [])
    before = {**programme.snapshot(), **links.snapshot()}
    if "name" in changes:
        programme.name = data.name.as_dict()  # type: ignore[union-attr]
    if "description" in changes:
        programme.description = data.description.as_dict() if data.description else {}
    for field in ("funder_countries", "funding_instruments", "thematic_areas", "eligible_return_types"):
        if field in changes:
            setattr(programme, field, [str(v) for v in dict.fromkeys(getattr(data, field))])
    if "target_group" in changes:
        programme.target_group = data.target_group.value  # type: ignore[union-attr]
    for field in ("starts_on", "ends_on"):
        if field in changes:
            setattr(programme, field, getattr(data, field))
    if programme.ends_on is not None and programme.ends_on < programme.starts_on:
        errors.add("/ends_on", f"ends before it starts ({programme.starts_on})")
    # A narrower programme must not leave one of its rules unable to ever match.
    await eligibility.check_programme_rules_still_possible(session, programme, errors)
    errors.raise_if_any()
    old_services = set(links.service_ids)
    await repository.set_links(
        session,
        programme.id,
        implementers=data.implementing_organization_ids
        if "implementing_organization_ids" in changes
        else None,
        services=data.service_ids if "service_ids" in changes else None,
    )
    links = (await repository.links(session, [programme.id]))[programme.id]
    if {**programme.snapshot(), **links.snapshot()} == before:
        return programme, links
    await _changed(
        session, actor, programme, links, "updated", before, affected=old_services | set(links.service_ids)
    )
    return programme, links


async def deactivate(
    session: AsyncSession, actor: Principal, programme_id: uuid.UUID, if_match: str | None
) -> tuple[Programme, ProgrammeLinks]:
    permissions.require(actor, permissions.PROGRAMME_WRITE)
    programme = await repository.get(session, programme_id, for_update=True)
    if programme is None:
        raise NotFound(f"No programme {programme_id}.")
    check_if_match(if_match, programme.version)
    links = (await repository.links(session, [programme.id]))[programme.id]
    if not programme.active:
        return programme, links
    before = {**programme.snapshot(), **links.snapshot()}
    programme.deactivated_at = utcnow()
    await _changed(session, actor, programme, links, "deactivated", before, affected=set(links.service_ids))
    return programme, links


async def _changed(
    session: AsyncSession,
    actor: Principal,
    programme: Programme,
    links: ProgrammeLinks,
    action: str,
    before: dict[str, object],
    *,
    affected: set[uuid.UUID],
) -> None:
    if action != "created":
        programme.touch()
    await save_change(
        session,
        actor,
        programme,
        entity_type=ENTITY,
        organization_id=None,
        action=action,
        before=before,
        links=links.snapshot(),
    )
    contract = ProgrammeUpserted if programme.active else ProgrammeDeactivated
    await publish(session, event(programme, links, contract), programme.id)
    # Search filters services by programme and funder.
    await indexer.reindex_services(session, sorted(affected))


async def _check_links(
    session: AsyncSession,
    errors: FieldErrors,
    implementers: Sequence[uuid.UUID],
    services: Sequence[uuid.UUID],
) -> None:
    known_orgs = await organizations.existing_ids(session, implementers)
    for i, org in enumerate(implementers):
        if org not in known_orgs:
            errors.add(f"/implementing_organization_ids/{i}", "names no active organization")
    known_services = await directory.owners(session, services)
    for i, svc in enumerate(services):
        if svc not in known_services:
            errors.add(f"/service_ids/{i}", "names no active service")


def event(programme: Programme, links: ProgrammeLinks, contract: type[ProgrammeState]) -> ProgrammeState:
    return contract(
        programme_id=programme.id,
        version=programme.version,
        active=programme.active,
        updated_at=programme.updated_at,
        deactivated_at=programme.deactivated_at,
        name=Translations(**programme.name),
        description=Translations(**programme.description),
        funder_countries=list(programme.funder_countries),
        funding_instruments=list(programme.funding_instruments),
        thematic_areas=list(programme.thematic_areas),
        target_group=programme.target_group,
        eligible_return_types=list(programme.eligible_return_types),
        starts_on=programme.starts_on,
        ends_on=programme.ends_on,
        implementing_organization_ids=list(links.implementing_organization_ids),
        service_ids=list(links.service_ids),
    )
