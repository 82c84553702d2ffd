"""Queries on cases and the personal records kept for them."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.cases.models import Case
from services.referrals.personal_data.models import PersonalRecord


async def get(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False) -> Case | None:
    """The case, locked when the caller is about to change it (or what hangs on it)."""
    return await session.get(Case, case_id, with_for_update=for_update)


async def get_one(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False) -> Case:
    """A case another row points to (a transfer, a duplicate flag): it exists, the foreign key says so."""
    return await session.get_one(Case, case_id, with_for_update=for_update)


async def delete_personal_except(session: AsyncSession, case_id: uuid.UUID, keep: list[str]) -> None:
    """Remove the case's personal records of every category but ``keep``: a new document replaces
    the whole record."""
    await session.execute(
        sa.delete(PersonalRecord).where(
            PersonalRecord.case_id == case_id,
            PersonalRecord.category.not_in(keep),
        )
    )


async def of_owner(
    session: AsyncSession, org_id: uuid.UUID | None, status: str | None, limit: int, offset: int
) -> list[Case]:
    """Cases an organization holds, newest first."""
    query = sa.select(Case).where(Case.owner_org_id == org_id)
    if status:
        query = query.where(Case.status == status)
    rows = await session.execute(query.order_by(Case.created_at.desc(), Case.id).limit(limit).offset(offset))
    return list(rows.scalars())
