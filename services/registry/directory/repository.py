"""Queries on services and their links."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.directory.models import Service, service_area, service_location, service_taxonomy_term
from services.registry.taxonomy.models import TaxonomyTerm

LINK_NAMESPACE = uuid.UUID("2f0d6c1e-3f0b-4c57-8f0e-6a7b1c2d3e4f")


def link_id(service_id: uuid.UUID, *parts: object) -> uuid.UUID:
    """A stable id for a link row (HSDS needs ids on service_at_location and service_area)."""
    return uuid.uuid5(LINK_NAMESPACE, "/".join([str(service_id), *(str(p) for p in parts)]))


@dataclass
class Links:
    term_codes: list[str] = field(default_factory=list)
    location_ids: list[uuid.UUID] = field(default_factory=list)
    areas: list[tuple[str, str | None]] = field(default_factory=list)

    def snapshot(self) -> dict[str, object]:
        return {
            "taxonomy_terms": sorted(self.term_codes),
            "location_ids": sorted(str(i) for i in self.location_ids),
            "service_areas": sorted(f"{g}/{d}" if d else g for g, d in self.areas),
        }


async def get(session: AsyncSession, service_id: uuid.UUID, *, for_update: bool = False) -> Service | None:
    query = select(Service).where(Service.id == service_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_many(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[Service]:
    wanted = set(ids)
    if not wanted:
        return []
    return list(
        (await session.execute(select(Service).where(Service.id.in_(wanted)).order_by(Service.id))).scalars()
    )


async def active_of_organization(session: AsyncSession, organization_id: uuid.UUID) -> list[Service]:
    rows = await session.execute(
        select(Service)
        .where(Service.organization_id == organization_id, Service.deactivated_at.is_(None))
        .order_by(Service.id)
        .with_for_update()
    )
    return list(rows.scalars())


async def owners(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Active services among ``ids``, with their organization."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Service.id, Service.organization_id).where(
            Service.id.in_(wanted), Service.deactivated_at.is_(None)
        )
    )
    return {r.id: r.organization_id for r in rows}


async def links(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Links]:
    out = {i: Links() for i in ids}
    if not ids:
        return out
    terms = await session.execute(
        select(service_taxonomy_term.c.service_id, TaxonomyTerm.code)
        .join(TaxonomyTerm, TaxonomyTerm.id == service_taxonomy_term.c.taxonomy_term_id)
        .where(service_taxonomy_term.c.service_id.in_(ids))
        .order_by(TaxonomyTerm.code)
    )
    for row in terms:
        out[row.service_id].term_codes.append(row.code)
    locations = await session.execute(
        select(service_location.c.service_id, service_location.c.location_id)
        .where(service_location.c.service_id.in_(ids))
        .order_by(service_location.c.location_id)
    )
    for row in locations:
        out[row.service_id].location_ids.append(row.location_id)
    areas = await session.execute(
        select(service_area.c.service_id, service_area.c.governorate_code, service_area.c.district_code)
        .where(service_area.c.service_id.in_(ids))
        .order_by(service_area.c.governorate_code, service_area.c.district_code.nulls_first())
    )
    for row in areas:
        out[row.service_id].areas.append((row.governorate_code, row.district_code))
    return out


async def set_terms(session: AsyncSession, service_id: uuid.UUID, term_ids: Iterable[uuid.UUID]) -> None:
    await session.execute(
        delete(service_taxonomy_term).where(service_taxonomy_term.c.service_id == service_id)
    )
    rows = [{"service_id": service_id, "taxonomy_term_id": t} for t in dict.fromkeys(term_ids)]
    if rows:
        await session.execute(insert(service_taxonomy_term), rows)


async def set_locations(
    session: AsyncSession, service_id: uuid.UUID, location_ids: Iterable[uuid.UUID]
) -> None:
    await session.execute(delete(service_location).where(service_location.c.service_id == service_id))
    rows = [
        {"id": link_id(service_id, "location", loc), "service_id": service_id, "location_id": loc}
        for loc in dict.fromkeys(location_ids)
    ]
    if rows:
        await session.execute(insert(service_location), rows)


async def set_areas(
    session: AsyncSession, service_id: uuid.UUID, areas: Iterable[tuple[str, str | None]]
) -> None:
    await session.execute(delete(service_area).where(service_area.c.service_id == service_id))
    rows = [
        {
            "id": link_id(service_id, "area", gov, district or ""),
            "service_id": service_id,
            "governorate_code": gov,
            "district_code": district,
        }
        for gov, district in dict.fromkeys(areas)
    ]
    if rows:
        await session.execute(insert(service_area), rows)
