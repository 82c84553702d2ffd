"""The two durable consumers (registry, referrals) and the generation counter they advance."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from fastapi import FastAPI
from nats.aio.msg import Msg
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.db import dead_letter, inbox
from services.coordination.models import read_model_state
from services.coordination.replica import apply_registry_event
from services.coordination.settings import CoordinationSettings
from services.coordination.tallies import apply_referrals_event
from shared.consumer import Consumer, Handler
from shared.contracts import referrals, registry
from shared.events import CloudEvent


class RedactingConsumer(Consumer):
    """A consumer whose dead letters keep no payload: a referrals event names a case."""

    async def _dead_letter(self, msg: Msg, event: CloudEvent | None, deliveries: int, error: str) -> None:
        redacted = None
        if event is not None:
            redacted = CloudEvent(
                id=event.id, source=event.source, type=event.type, subject="-", time=event.time
            )
        await super()._dead_letter(msg, redacted, deliveries, error.split("(", 1)[0][:200])


async def bump_generation(session: AsyncSession) -> None:
    await session.execute(
        sa.update(read_model_state)
        .where(read_model_state.c.id == 1)
        .values(generation=read_model_state.c.generation + 1)
    )


def counted(handler: Handler) -> Handler:
    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        await handler(session, event)
        await bump_generation(session)

    return apply


REGISTRY_HANDLER = counted(apply_registry_event)
REFERRALS_HANDLER = counted(apply_referrals_event)


def make_consumers(app: FastAPI, settings: CoordinationSettings) -> Sequence[Consumer]:
    common = {
        "sessionmaker": app.state.sessionmaker,
        "inbox": inbox,
        "dead_letter": dead_letter,
        "nats": app.state.nats,
        "batch": settings.consumer_batch,
        "max_deliver": settings.consumer_max_deliver,
    }
    return [
        RedactingConsumer(
            name=settings.registry_consumer,
            stream=settings.registry_stream,
            subjects=settings.subjects(registry.SUBJECTS),
            handler=REGISTRY_HANDLER,
            **common,  # type: ignore[arg-type]
        ),
        RedactingConsumer(
            name=settings.referrals_consumer,
            stream=settings.referrals_stream,
            subjects=settings.subjects(referrals.SUBJECTS),
            handler=REFERRALS_HANDLER,
            **common,  # type: ignore[arg-type]
        ),
    ]
