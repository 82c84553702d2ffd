"""Loading what the HSDS documents are made of, in a few queries per page (never one per row)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.directory import repository as directory
from services.registry.directory.models import Service, service_location, service_taxonomy_term
from services.registry.directory.repository import Links
from services.registry.eligibility.models import Benefit, EligibilityRule
from services.registry.history.models import ChangeRecord
from services.registry.locations.models import Location
from services.registry.organizations.models import Organization
from services.registry.programmes.models import Programme, programme_implementer, programme_service
from services.registry.search.models import ServiceSearch
from services.registry.search.normalise import query_words, tokens
from services.registry.search.repository import vocabulary_matches, word_conditions
from services.registry.taxonomy.models import TaxonomyTerm


async def services_page(
    session: AsyncSession,
    *,
    search: str | None,
    taxonomy_term_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    modified_after: datetime | None,
    offset: int,
    limit: int | None,
) -> tuple[list[Service], int]:
    query = select(Service)
    # A consumer syncing changes (modified_after) must also learn which services went away.
    if modified_after is None:
        query = query.where(Service.deactivated_at.is_(None))
    else:
        query = query.where(Service.updated_at >= modified_after)
    if words := query_words(search):
        matches = await vocabulary_matches(session, words)
        if matches is None:
            return [], 0
        query = query.where(Service.id.in_(select(ServiceSearch.service_id).where(*word_conditions(matches))))
    if taxonomy_term_id:
        query = query.where(
            Service.id.in_(
                select(service_taxonomy_term.c.service_id).where(
                    service_taxonomy_term.c.taxonomy_term_id == taxonomy_term_id
                )
            )
        )
    if organization_id:
        query = query.where(Service.organization_id == organization_id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    query = query.order_by(Service.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars()), int(total)


@dataclass
class Bundle:
    """Everything the nested documents of some services refer to."""

    links: dict[uuid.UUID, Links] = field(default_factory=dict)
    organizations: dict[uuid.UUID, Organization] = field(default_factory=dict)
    locations: dict[uuid.UUID, Location] = field(default_factory=dict)
    terms: dict[str, TaxonomyTerm] = field(default_factory=dict)
    programmes: dict[uuid.UUID, Programme] = field(default_factory=dict)
    programmes_of_service: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    implementers: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    rules: dict[uuid.UUID, list[EligibilityRule]] = field(default_factory=dict)
    benefits: dict[uuid.UUID, list[Benefit]] = field(default_factory=dict)
    changes: dict[uuid.UUID, list[ChangeRecord]] = field(default_factory=dict)
    actor_organizations: dict[uuid.UUID, Organization] = field(default_factory=dict)


async def bundle(
    session: AsyncSession, services: Sequence[Service], *, full: bool, changes_per_service: int = 20
) -> Bundle:
    ids = [s.id for s in services]
    out = Bundle()
    org_ids = {s.organization_id for s in services}
    out.links = await directory.links(session, ids)
    for row in await session.execute(
        select(programme_service.c.service_id, programme_service.c.programme_id)
        .join(Programme, Programme.id == programme_service.c.programme_id)
        .where(programme_service.c.service_id.in_(ids), Programme.deactivated_at.is_(None))
        .order_by(Programme.starts_on, Programme.id)
    ):
        out.programmes_of_service.setdefault(row.service_id, []).append(row.programme_id)
    programme_ids = {p for ps in out.programmes_of_service.values() for p in ps}
    if programme_ids:
        out.programmes = {
            p.id: p
            for p in (
                await session.execute(select(Programme).where(Programme.id.in_(programme_ids)))
            ).scalars()
        }
        for row in await session.execute(
            select(programme_implementer)
            .where(programme_implementer.c.programme_id.in_(programme_ids))
            .order_by(programme_implementer.c.organization_id)
        ):
            out.implementers.setdefault(row.programme_id, []).append(row.organization_id)
    if full:
        location_ids = {loc for lk in out.links.values() for loc in lk.location_ids}
        if location_ids:
            out.locations = {
                loc.id: loc
                for loc in (
                    await session.execute(select(Location).where(Location.id.in_(location_ids)))
                ).scalars()
            }
        codes = {c for lk in out.links.values() for c in lk.term_codes}
        if codes:
            out.terms = {
                t.code: t
                for t in (
                    await session.execute(select(TaxonomyTerm).where(TaxonomyTerm.code.in_(codes)))
                ).scalars()
            }
        for rule in (
            await session.execute(
                select(EligibilityRule)
                .where(EligibilityRule.service_id.in_(ids), EligibilityRule.deactivated_at.is_(None))
                .order_by(EligibilityRule.created_at, EligibilityRule.id)
            )
        ).scalars():
            assert rule.service_id is not None
            out.rules.setdefault(rule.service_id, []).append(rule)
        for benefit in (
            await session.execute(
                select(Benefit)
                .where(Benefit.service_id.in_(ids), Benefit.deactivated_at.is_(None))
                .order_by(Benefit.created_at, Benefit.id)
            )
        ).scalars():
            assert benefit.service_id is not None
            out.benefits.setdefault(benefit.service_id, []).append(benefit)
        ranked = (
            select(
                ChangeRecord,
                func.row_number()
                .over(partition_by=ChangeRecord.entity_id, order_by=ChangeRecord.id.desc())
                .label("n"),
            )
            .where(ChangeRecord.entity_type == "service", ChangeRecord.entity_id.in_([str(i) for i in ids]))
            .subquery()
        )
        for change in (
            await session.execute(
                select(ChangeRecord)
                .join(ranked, ranked.c.id == ChangeRecord.id)
                .where(ranked.c.n <= changes_per_service)
                .order_by(ChangeRecord.id.desc())
            )
        ).scalars():
            out.changes.setdefault(uuid.UUID(change.entity_id), []).append(change)
        org_ids |= {
            c.changed_by_organization_id
            for cs in out.changes.values()
            for c in cs
            if c.changed_by_organization_id
        }
    if org_ids:
        out.organizations = {
            o.id: o
            for o in (
                await session.execute(select(Organization).where(Organization.id.in_(org_ids)))
            ).scalars()
        }
    return out


async def organizations_page(
    session: AsyncSession, *, search: str | None, offset: int, limit: int | None
) -> tuple[list[Organization], int]:
    query = select(Organization).where(Organization.deactivated_at.is_(None))
    for word in tokens(search):
        query = query.where(Organization.search_text.contains(word, autoescape=True))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    query = query.order_by(Organization.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars()), int(total)


async def organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization | None:
    return (
        await session.execute(select(Organization).where(Organization.id == organization_id))
    ).scalar_one_or_none()


async def services_of(session: AsyncSession, organization_id: uuid.UUID) -> list[Service]:
    rows = await session.execute(
        select(Service)
        .where(Service.organization_id == organization_id, Service.deactivated_at.is_(None))
        .order_by(Service.id)
    )
    return list(rows.scalars())


async def locations_of(session: AsyncSession, organization_id: uuid.UUID) -> list[Location]:
    rows = await session.execute(
        select(Location)
        .where(Location.organization_id == organization_id, Location.deactivated_at.is_(None))
        .order_by(Location.id)
    )
    return list(rows.scalars())


async def programmes_implemented_by(session: AsyncSession, organization_id: uuid.UUID) -> list[Programme]:
    rows = await session.execute(
        select(Programme)
        .join(programme_implementer, programme_implementer.c.programme_id == Programme.id)
        .where(programme_implementer.c.organization_id == organization_id, Programme.deactivated_at.is_(None))
        .order_by(Programme.starts_on, Programme.id)
    )
    return list(rows.scalars())


async def terms_page(
    session: AsyncSession,
    *,
    search: str | None,
    parent_id: uuid.UUID | None,
    top_only: bool,
    offset: int,
    limit: int | None,
) -> tuple[list[TaxonomyTerm], int]:
    from services.registry.taxonomy import repository as taxonomy

    rows, total = await taxonomy.search(
        session,
        dimensions=[],
        parent_id=parent_id,
        top_only=top_only,
        words=tokens(search),
        include_deactivated=False,
        offset=offset,
        limit=limit if limit is not None else 1_000_000,
    )
    return rows, total


async def term(session: AsyncSession, term_id: uuid.UUID) -> TaxonomyTerm | None:
    return (
        await session.execute(select(TaxonomyTerm).where(TaxonomyTerm.id == term_id))
    ).scalar_one_or_none()


async def service_at_locations_page(
    session: AsyncSession,
    *,
    search: str | None,
    taxonomy_term_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    modified_after: datetime | None,
    offset: int,
    limit: int | None,
) -> tuple[list[tuple[uuid.UUID, Service, Location]], int]:
    query = (
        select(service_location.c.id, Service, Location)
        .join(Service, Service.id == service_location.c.service_id)
        .join(Location, Location.id == service_location.c.location_id)
        .where(Service.deactivated_at.is_(None), Location.deactivated_at.is_(None))
    )
    if words := query_words(search):
        matches = await vocabulary_matches(session, words)
        if matches is None:
            return [], 0
        query = query.where(Service.id.in_(select(ServiceSearch.service_id).where(*word_conditions(matches))))
    if taxonomy_term_id:
        query = query.where(
            Service.id.in_(
                select(service_taxonomy_term.c.service_id).where(
                    service_taxonomy_term.c.taxonomy_term_id == taxonomy_term_id
                )
            )
        )
    if organization_id:
        query = query.where(Service.organization_id == organization_id)
    if modified_after:
        query = query.where(func.greatest(Service.updated_at, Location.updated_at) >= modified_after)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    query = query.order_by(service_location.c.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [(r[0], r[1], r[2]) for r in await session.execute(query)], int(total)


async def service_at_location(
    session: AsyncSession, link_id: uuid.UUID
) -> tuple[uuid.UUID, Service, Location] | None:
    row = (
        await session.execute(
            select(service_location.c.id, Service, Location)
            .join(Service, Service.id == service_location.c.service_id)
            .join(Location, Location.id == service_location.c.location_id)
            .where(service_location.c.id == link_id)
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None
