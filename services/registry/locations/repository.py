"""Queries on locations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.locations.models import Location


async def get(session: AsyncSession, location_id: uuid.UUID, *, for_update: bool = False) -> Location | None:
    query = select(Location).where(Location.id == location_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def owners(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Active locations among ``ids``, with the organization each belongs to."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Location.id, Location.organization_id).where(
            Location.id.in_(wanted), Location.deactivated_at.is_(None)
        )
    )
    return {r.id: r.organization_id for r in rows}


async def active_of_organization(session: AsyncSession, organization_id: uuid.UUID) -> list[Location]:
    rows = await session.execute(
        select(Location)
        .where(Location.organization_id == organization_id, Location.deactivated_at.is_(None))
        .order_by(Location.id)
        .with_for_update()
    )
    return list(rows.scalars())


async def search(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID | None,
    governorates: list[str],
    include_deactivated: bool,
    offset: int,
    limit: int,
) -> tuple[list[Location], int]:
    query = select(Location)
    if organization_id:
        query = query.where(Location.organization_id == organization_id)
    if governorates:
        query = query.where(Location.governorate_code.in_(governorates))
    if not include_deactivated:
        query = query.where(Location.deactivated_at.is_(None))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    sort_name = func.coalesce(
        Location.name["en"].astext, Location.name["ar"].astext, Location.name["ckb"].astext
    )
    rows = await session.execute(query.order_by(sort_name, Location.id).offset(offset).limit(limit))
    return list(rows.scalars()), int(total)
