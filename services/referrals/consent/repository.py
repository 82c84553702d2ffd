"""Queries on the consent ledger."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.consent.models import ConsentRecord


async def ledger(session: AsyncSession, case_id: uuid.UUID) -> list[ConsentRecord]:
    """The case's consent records in the order they were recorded: what is in force at any moment
    is derived from them."""
    rows = await session.execute(
        sa.select(ConsentRecord)
        .where(ConsentRecord.case_id == case_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    )
    return list(rows.scalars())
