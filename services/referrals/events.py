"""Write referrals events into the outbox, with the statistics dimensions of their case."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.cases.models import Case
from services.referrals.db import outbox
from shared.contracts.referrals import Dimensions
from shared.events.contracts import EventContract
from shared.outbox import add_event


def case_dimensions(case: Case, **referral: object) -> Dimensions:
    return Dimensions(
        owner_org_id=case.owner_org_id,
        governorate_code=case.governorate_code,
        return_type=case.return_type,
        gender=case.gender,
        age_band=case.age_band,
        **referral,  # type: ignore[arg-type]
    )


async def publish(session: AsyncSession, contract: EventContract, entity_id: uuid.UUID) -> None:
    await add_event(session, outbox, contract, entity_id=str(entity_id))
