"""Queries on case transfers."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.transfers.models import CaseTransfer


async def pending(session: AsyncSession, case_id: uuid.UUID) -> bool:
    """Whether a transfer of the case is still waiting for the receiver: only one at a time."""
    rows = await session.execute(
        sa.select(CaseTransfer.id).where(CaseTransfer.case_id == case_id, CaseTransfer.status == "requested")
    )
    return rows.first() is not None


async def of_org(session: AsyncSession, org_id: uuid.UUID | None) -> list[CaseTransfer]:
    """Transfers an organization sent or received, newest first."""
    rows = await session.execute(
        sa.select(CaseTransfer)
        .where(sa.or_(CaseTransfer.to_org_id == org_id, CaseTransfer.from_org_id == org_id))
        .order_by(CaseTransfer.created_at.desc())
    )
    return list(rows.scalars())


async def get_for_update(session: AsyncSession, transfer_id: uuid.UUID) -> CaseTransfer | None:
    """The transfer, locked: two decisions on it must not both pass the still-requested check."""
    return await session.get(CaseTransfer, transfer_id, with_for_update=True)
