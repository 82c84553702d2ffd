"""Queries on organizations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.organizations.models import Organization


async def get(
    session: AsyncSession, organization_id: uuid.UUID, *, for_update: bool = False
) -> Organization | None:
    query = select(Organization).where(Organization.id == organization_id)
    if for_update:
        # Serialises concurrent writers: the second one reads the new version and gets its 412.
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def existing_ids(
    session: AsyncSession, ids: Iterable[uuid.UUID], *, active_only: bool = True
) -> set[uuid.UUID]:
    wanted = set(ids)
    if not wanted:
        return set()
    query = select(Organization.id).where(Organization.id.in_(wanted))
    if active_only:
        query = query.where(Organization.deactivated_at.is_(None))
    return set((await session.execute(query)).scalars())


async def parent_of(session: AsyncSession, organization_id: uuid.UUID) -> uuid.UUID | None:
    return (
        await session.execute(select(Organization.parent_id).where(Organization.id == organization_id))
    ).scalar_one_or_none()


async def search(
    session: AsyncSession,
    *,
    words: list[str],
    kinds: list[str],
    include_deactivated: bool,
    offset: int,
    limit: int,
) -> tuple[list[Organization], int]:
    query = select(Organization)
    for word in words:
        query = query.where(Organization.search_text.contains(word, autoescape=True))
    if kinds:
        query = query.where(Organization.kind.in_(kinds))
    if not include_deactivated:
        query = query.where(Organization.deactivated_at.is_(None))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    sort_name = func.coalesce(
        Organization.name["en"].astext, Organization.name["ar"].astext, Organization.name["ckb"].astext
    )
    rows = await session.execute(query.order_by(sort_name, Organization.id).offset(offset).limit(limit))
    return list(rows.scalars()), int(total)
