"""The two durable consumers (registry, referrals) and the generation counter they advance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pydantic
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.coordination.db import dead_letter, inbox
from services.coordination.models import read_model_state
from services.coordination.replica import apply_registry_event
from services.coordination.settings import CoordinationSettings
from services.coordination.tallies import apply_referrals_event
from shared.consumer import Consumer, Handler
from shared.contracts import referrals, registry
from shared.events import CloudEvent

# The envelope fields a dead letter keeps: ids and codes of the event itself. Its data, and its
# CloudEvents subject (a case id on referrals events), are dropped.
KEPT_ENVELOPE = ("specversion", "id", "source", "type", "time")


def redact_dead_letter(
    event: CloudEvent | None, error: str, exc: BaseException | None
) -> tuple[dict[str, Any] | None, str]:
    """What a coordination dead letter keeps: a referrals event names a case, and this service
    must never hold a case id, not even in its dead letters or in an error message quoting one."""
    envelope = None if event is None else {f: getattr(event, f) for f in KEPT_ENVELOPE}
    if exc is None:
        return envelope, error  # the consumer's own text (class names only)
    if isinstance(exc, pydantic.ValidationError):
        # Where and what failed, never the input (pydantic quotes it in its message).
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}" for e in exc.errors(include_input=False)
        )
        return envelope, f"ValidationError({exc.title}): {where}"[:1000]
    return envelope, type(exc).__name__


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
        "redact_dead_letter": redact_dead_letter,
    }
    return [
        Consumer(
            name=settings.registry_consumer,
            stream=settings.registry_stream,
            subjects=settings.subjects(registry.SUBJECTS),
            handler=REGISTRY_HANDLER,
            **common,  # type: ignore[arg-type]
        ),
        Consumer(
            name=settings.referrals_consumer,
            stream=settings.referrals_stream,
            subjects=settings.subjects(referrals.SUBJECTS),
            handler=REFERRALS_HANDLER,
            **common,  # type: ignore[arg-type]
        ),
    ]
