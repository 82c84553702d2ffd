"""Rebuild every read model by replaying the registry and referrals streams from the start.

``python -m services.coordination.rebuild`` (settings from ``HAWKARI_COORDINATION_*``) empties the
read-model tables and this service's inbox records, then reads each stream from its first message
and applies every event through the same handlers as the live consumers, recording it in the inbox
under the live consumer's name. A running service may keep consuming meanwhile: whichever of the
two applies an event first records it, and the other skips it.
"""

from __future__ import annotations

import asyncio
import logging

import nats
import sqlalchemy as sa
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError
from sqlalchemy.dialects.postgresql import insert

from services.coordination.consumers import REFERRALS_HANDLER, REGISTRY_HANDLER
from services.coordination.db import inbox
from services.coordination.models import READ_MODEL_TABLES, read_model_state
from services.coordination.settings import CoordinationSettings
from shared.consumer import Handler
from shared.contracts import referrals, registry
from shared.db import create_engine, create_sessionmaker
from shared.events import parse_event

logger = logging.getLogger("hawkari.coordination.rebuild")

BATCH = 500


async def rebuild(settings: CoordinationSettings) -> dict[str, int]:
    """Replay both streams into emptied tables. Returns the number of events applied per stream."""
    engine = create_engine(settings.database_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    nc = await nats.connect(settings.nats_url, name="hawkari-coordination-rebuild")
    applied: dict[str, int] = {}
    try:
        async with sessionmaker() as session, session.begin():
            names = ", ".join(t.name for t in READ_MODEL_TABLES)
            await session.execute(sa.text(f"TRUNCATE {names}"))
            await session.execute(
                sa.delete(inbox).where(
                    inbox.c.consumer.in_([settings.registry_consumer, settings.referrals_consumer])
                )
            )
            await session.execute(
                sa.update(read_model_state).values(generation=read_model_state.c.generation + 1)
            )
        js = nc.jetstream(timeout=10)
        plan: list[tuple[str, str, str, Handler]] = [
            (
                settings.registry_stream,
                settings.subjects(registry.SUBJECTS)[0],
                settings.registry_consumer,
                REGISTRY_HANDLER,
            ),
            (
                settings.referrals_stream,
                settings.subjects(referrals.SUBJECTS)[0],
                settings.referrals_consumer,
                REFERRALS_HANDLER,
            ),
        ]
        for stream, subject, consumer, handler in plan:
            info = await js.stream_info(stream)
            last = info.state.last_seq
            count = 0
            if info.state.messages:
                sub = await js.pull_subscribe(
                    subject,
                    stream=stream,
                    config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL),
                )
                try:
                    seen = 0
                    while seen < last:
                        try:
                            msgs = await sub.fetch(BATCH, timeout=1.0)
                        except (FetchTimeoutError, TimeoutError):
                            break
                        async with sessionmaker() as session, session.begin():
                            for msg in msgs:
                                seen = max(seen, msg.metadata.sequence.stream)
                                event = parse_event(msg.data)
                                new = await session.execute(
                                    insert(inbox)
                                    .values(consumer=consumer, event_id=event.id, event_type=event.type)
                                    .on_conflict_do_nothing()
                                    .returning(inbox.c.event_id)
                                )
                                if new.first() is not None:
                                    await handler(session, event)
                                    count += 1
                finally:
                    await sub.unsubscribe()
            applied[stream] = count
            logger.info("replayed %d events from %s", count, stream)
    finally:
        await nc.close()
        await engine.dispose()
    return applied


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    print(asyncio.run(rebuild(CoordinationSettings())))


if __name__ == "__main__":
    main()
