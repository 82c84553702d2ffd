"""A database outage longer than a consumer's retry budget loses no event (found by the fault run).

The consumer's bounded redelivery is for poison messages. An unreachable database says nothing about
the message, so it must not spend the message's budget: before the fix, events consumed while
PostgreSQL restarted were dead-lettered (or, once JetStream's own delivery limit was reached,
never handled at all), and their notifications were lost.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.consumer import Consumer
from shared.db import create_engine, create_sessionmaker
from shared.events.envelope import CloudEvent
from shared.processes import EmbeddedPostgres, free_port
from shared.testing import RunningServers, eventually
from tests.shared.eventing import dead_letter, effect, metadata
from tests.shared.test_consumer import make_consumer, publish, record_effect, widget_event
from tests.shared.test_consumer import stream as stream  # the per-test stream fixture


async def rows(engine: sa.ext.asyncio.AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def test_events_consumed_while_the_database_is_down_are_handled_once_it_returns(
    tmp_path: Path, servers: RunningServers, stream: str
) -> None:
    tmp_path.chmod(0o755)
    own = EmbeddedPostgres("pg", free_port(), tmp_path / "pg")
    own.start()
    engine = create_engine(own.url())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

        async def handler(session: AsyncSession, event: CloudEvent) -> None:
            await record_effect(session, event)

        consumer, connection = make_consumer(
            Consumer, create_sessionmaker(engine), servers, stream, handler, max_deliver=2, ack_wait_s=1.0
        )
        consumer.start()
        try:
            first = widget_event()
            await publish(servers.nats_url, first)
            await eventually(lambda: _equals(rows(engine, effect), 1), timeout=15)
            await asyncio.to_thread(own.stop)
            events = [widget_event() for _ in range(3)]
            for event in events:
                await publish(servers.nats_url, event)
            # Well beyond the budget of two deliveries (0.5 s apart) and several ack waits.
            await asyncio.sleep(5)
            await asyncio.to_thread(own.start)
            await eventually(lambda: _equals(rows(engine, effect), 4), timeout=20)
            await asyncio.sleep(1.5)  # a late second effect or dead letter would show by now
            assert await rows(engine, effect) == 4
            assert await rows(engine, dead_letter) == 0
        finally:
            await consumer.stop()
            await connection.close()
    finally:
        await engine.dispose()
        own.stop()


async def _equals(value: object, expected: int) -> bool:
    try:
        return await value == expected  # type: ignore[misc]
    except Exception:
        return False  # the database is still coming back
