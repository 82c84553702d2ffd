"""Write a registry event into the outbox, in the caller's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.db import outbox
from shared.events.contracts import EventContract
from shared.outbox import add_event


async def publish(session: AsyncSession, contract: EventContract, entity_id: uuid.UUID) -> None:
    await add_event(session, outbox, contract, entity_id=str(entity_id))
