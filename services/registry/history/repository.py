"""Queries on the change history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.history.models import ChangeRecord


def add_all(session: AsyncSession, rows: Sequence[ChangeRecord]) -> None:
    session.add_all(rows)


async def search(
    session: AsyncSession,
    *,
    entity_type: str | None,
    entity_id: str | None,
    organization_id: uuid.UUID | None,
    since: datetime | None,
    offset: int,
    limit: int,
) -> tuple[list[ChangeRecord], int]:
    query = select(ChangeRecord)
    if entity_type:
        query = query.where(ChangeRecord.entity_type == entity_type)
    if entity_id:
        query = query.where(ChangeRecord.entity_id == entity_id)
    if organization_id:
        query = query.where(ChangeRecord.organization_id == organization_id)
    if since:
        query = query.where(ChangeRecord.changed_at >= since)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    # Newest first; the identity orders changes made in the same instant.
    rows = (
        await session.execute(query.order_by(ChangeRecord.id.desc()).offset(offset).limit(limit))
    ).scalars()
    return list(rows), int(total)


async def latest_for(
    session: AsyncSession, entity_type: str, entity_id: str, limit: int
) -> list[ChangeRecord]:
    rows = await session.execute(
        select(ChangeRecord)
        .where(ChangeRecord.entity_type == entity_type, ChangeRecord.entity_id == entity_id)
        .order_by(ChangeRecord.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def organization_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    # Imported here: the organization context is a neighbour, not a dependency of history.
    from services.registry.organizations.models import Organization

    if not ids:
        return {}
    rows = await session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids)))
    return {r.id: r.name for r in rows}
