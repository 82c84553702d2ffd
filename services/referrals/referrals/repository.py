"""Queries on referrals that more than one use case needs."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.referrals.models import Referral

# The referrals through which a case is receiving (or has received) a service.
TAKEN_STATES = ("accepted", "in_progress", "completed")


async def taken(
    session: AsyncSession, case_id: uuid.UUID, *, exclude: uuid.UUID | None = None
) -> list[tuple[uuid.UUID | None, str | None]]:
    """(programme, taxonomy term) of the case's accepted, started or completed referrals."""
    query = sa.select(Referral.programme_id, Referral.taxonomy_term_code).where(
        Referral.case_id == case_id, Referral.status.in_(TAKEN_STATES)
    )
    if exclude is not None:
        query = query.where(Referral.id != exclude)
    rows = await session.execute(query.order_by(Referral.created_at, Referral.id))
    return [(p, t) for p, t in rows.all()]
