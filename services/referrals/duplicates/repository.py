"""Queries on identity hashes and duplicate flags."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.referrals.cases.models import Case
from services.referrals.duplicates.models import DuplicateFlag, IdentityHash


async def delete_hashes(session: AsyncSession, case_id: uuid.UUID) -> None:
    """Forget the case's identity hashes: they are stored anew from its current identifiers."""
    await session.execute(sa.delete(IdentityHash).where(IdentityHash.case_id == case_id))


async def cases_sharing(session: AsyncSession, case_id: uuid.UUID, kind: str, digest: str) -> list[uuid.UUID]:
    """The other cases with this identity hash."""
    matches = await session.execute(
        sa.select(IdentityHash.case_id).where(
            IdentityHash.kind == kind, IdentityHash.digest == digest, IdentityHash.case_id != case_id
        )
    )
    return list(matches.scalars())


async def insert_flag(
    session: AsyncSession,
    flag_id: uuid.UUID,
    case_a_id: uuid.UUID,
    case_b_id: uuid.UUID,
    kind: str,
    created_at: datetime,
) -> DuplicateFlag | None:
    """A new open flag on the pair; None if the pair is already flagged for this kind of match
    (also by a concurrent transaction: the insert does nothing rather than fail)."""
    inserted = await session.execute(
        insert(DuplicateFlag)
        .values(
            id=flag_id,
            case_a_id=case_a_id,
            case_b_id=case_b_id,
            kind=kind,
            status="open",
            created_at=created_at,
        )
        .on_conflict_do_nothing()
        .returning(DuplicateFlag.id)
    )
    if inserted.first() is None:
        return None
    return await session.get_one(DuplicateFlag, flag_id)


async def flags_of_org(
    session: AsyncSession, org_id: uuid.UUID | None, status: str | None
) -> list[tuple[DuplicateFlag, Case, Case]]:
    """Flags on a case the organization holds, with both cases, oldest first."""
    a, b = aliased(Case), aliased(Case)
    query = (
        sa.select(DuplicateFlag, a, b)
        .join(a, a.id == DuplicateFlag.case_a_id)
        .join(b, b.id == DuplicateFlag.case_b_id)
        .where(sa.or_(a.owner_org_id == org_id, b.owner_org_id == org_id))
        .order_by(DuplicateFlag.created_at)
    )
    if status:
        query = query.where(DuplicateFlag.status == status)
    return [(f, ca, cb) for f, ca, cb in (await session.execute(query)).all()]


async def flag_for_update(session: AsyncSession, flag_id: uuid.UUID) -> DuplicateFlag | None:
    """The flag, locked: two decisions on it must not both pass the still-open check."""
    return await session.get(DuplicateFlag, flag_id, with_for_update=True)
