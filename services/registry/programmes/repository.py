"""Queries on programmes and their links."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.programmes.models import Programme, programme_implementer, programme_service


@dataclass
class ProgrammeLinks:
    implementing_organization_ids: list[uuid.UUID] = field(default_factory=list)
    service_ids: list[uuid.UUID] = field(default_factory=list)

    def snapshot(self) -> dict[str, object]:
        return {
            "implementing_organization_ids": sorted(str(i) for i in self.implementing_organization_ids),
            "service_ids": sorted(str(i) for i in self.service_ids),
        }


async def get(
    session: AsyncSession, programme_id: uuid.UUID, *, for_update: bool = False
) -> Programme | None:
    query = select(Programme).where(Programme.id == programme_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_many(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Programme]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Programme).where(Programme.id.in_(wanted)))
    return {p.id: p for p in rows.scalars()}


async def links(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ProgrammeLinks]:
    out = {i: ProgrammeLinks() for i in ids}
    if not ids:
        return out
    for row in await session.execute(
        select(programme_implementer)
        .where(programme_implementer.c.programme_id.in_(ids))
        .order_by(programme_implementer.c.organization_id)
    ):
        out[row.programme_id].implementing_organization_ids.append(row.organization_id)
    for row in await session.execute(
        select(programme_service)
        .where(programme_service.c.programme_id.in_(ids))
        .order_by(programme_service.c.service_id)
    ):
        out[row.programme_id].service_ids.append(row.service_id)
    return out


async def set_links(
    session: AsyncSession,
    programme_id: uuid.UUID,
    *,
    implementers: Iterable[uuid.UUID] | None,
    services: Iterable[uuid.UUID] | None,
) -> None:
    if implementers is not None:
        await session.execute(
            delete(programme_implementer).where(programme_implementer.c.programme_id == programme_id)
        )
        rows = [{"programme_id": programme_id, "organization_id": o} for o in dict.fromkeys(implementers)]
        if rows:
            await session.execute(insert(programme_implementer), rows)
    if services is not None:
        await session.execute(
            delete(programme_service).where(programme_service.c.programme_id == programme_id)
        )
        rows = [{"programme_id": programme_id, "service_id": s} for s in dict.fromkeys(services)]
        if rows:
            await session.execute(insert(programme_service), rows)


async def active(session: AsyncSession) -> list[Programme]:
    rows = await session.execute(
        select(Programme)
        .where(Programme.deactivated_at.is_(None))
        .order_by(Programme.starts_on, Programme.id)
    )
    return list(rows.scalars())


async def search(
    session: AsyncSession,
    *,
    funders: list[str],
    thematic_areas: list[str],
    service_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    running_on: date | None,
    include_deactivated: bool,
    offset: int,
    limit: int,
) -> tuple[list[Programme], int]:
    query = select(Programme)
    if funders:
        query = query.where(Programme.funder_countries.overlap(funders))
    if thematic_areas:
        query = query.where(Programme.thematic_areas.overlap(thematic_areas))
    if service_id:
        query = query.where(
            Programme.id.in_(
                select(programme_service.c.programme_id).where(programme_service.c.service_id == service_id)
            )
        )
    if organization_id:
        query = query.where(
            Programme.id.in_(
                select(programme_implementer.c.programme_id).where(
                    programme_implementer.c.organization_id == organization_id
                )
            )
        )
    if running_on:
        query = query.where(
            Programme.starts_on <= running_on,
            or_(Programme.ends_on.is_(None), Programme.ends_on >= running_on),
        )
    if not include_deactivated:
        query = query.where(Programme.deactivated_at.is_(None))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.order_by(Programme.starts_on, Programme.id).offset(offset).limit(limit)
    )
    return list(rows.scalars()), int(total)
