"""The idempotent consumer against real PostgreSQL and a real NATS JetStream server."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import nats
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.consumer import Consumer
from shared.db import create_engine, create_sessionmaker
from shared.events.envelope import CloudEvent, make_event
from shared.messaging import NatsConnection, StreamSpec, ensure_stream
from shared.testing import RunningServers, eventually
from tests.shared.eventing import WidgetCreated, dead_letter, effect, inbox, metadata


@pytest.fixture
async def sessions(database_url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def stream(servers: RunningServers) -> AsyncIterator[str]:
    name = f"TEST_{uuid.uuid4().hex[:8].upper()}"
    nc = await nats.connect(servers.nats_url)
    await ensure_stream(nc.jetstream(), StreamSpec(name, ("testsvc.>",)))
    yield name
    with contextlib.suppress(Exception):
        await nc.jetstream().delete_stream(name)
    await nc.close()


async def publish(nats_url: str, event: CloudEvent, msg_id: str | None = None) -> None:
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().publish(
            "testsvc.widget.created", event.to_json(), headers={"Nats-Msg-Id": msg_id or event.id}
        )
    finally:
        await nc.close()


async def record_effect(session: AsyncSession, event: CloudEvent) -> None:
    await session.execute(sa.insert(effect).values(widget_id=event.data["widget_id"]))


async def count(sessions, table: sa.Table) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return int((await session.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


def widget_event() -> CloudEvent:
    wid = uuid.uuid4().hex
    return make_event(WidgetCreated(widget_id=wid, name="w"), subject=wid)


def make_consumer(cls, sessions, servers, stream, handler, **kw) -> tuple[Consumer, NatsConnection]:  # type: ignore[no-untyped-def]
    connection = NatsConnection(servers.nats_url, name="test-consumer")
    connection.start()
    consumer = cls(
        name=f"c_{stream.lower()}",
        stream=stream,
        subjects=("testsvc.widget.>",),
        handler=handler,
        sessionmaker=sessions,
        inbox=inbox,
        dead_letter=dead_letter,
        nats=connection,
        **kw,
    )
    return consumer, connection


async def test_each_event_has_its_effect_once_even_when_published_twice(
    sessions,
    servers: RunningServers,
    stream: str,  # type: ignore[no-untyped-def]
) -> None:
    consumer, connection = make_consumer(Consumer, sessions, servers, stream, record_effect)
    consumer.start()
    try:
        first, second = widget_event(), widget_event()
        await publish(servers.nats_url, first)
        await publish(servers.nats_url, second)
        # The same event again under another message id: JetStream cannot drop it, the inbox must.
        await publish(servers.nats_url, first, msg_id=str(uuid.uuid4()))
        await eventually(lambda: _is(count(sessions, inbox), 2))
        await asyncio.sleep(0.5)
        assert await count(sessions, effect) == 2
    finally:
        await consumer.stop()
        await connection.close()


class CrashesBeforeAck(Consumer):
    """Commits the effect, then dies before acknowledging — like a process killed at that instant."""

    async def handle_once(self, event: CloudEvent) -> bool:
        handled = await super().handle_once(event)
        raise asyncio.CancelledError  # the task ends here: no ack is ever sent
        return handled  # pragma: no cover


async def test_a_crash_after_the_effect_and_before_the_ack_causes_no_second_effect(
    sessions,
    servers: RunningServers,
    stream: str,  # type: ignore[no-untyped-def]
) -> None:
    crashing, connection = make_consumer(
        CrashesBeforeAck, sessions, servers, stream, record_effect, ack_wait_s=1.0
    )
    crashing.start()
    event = widget_event()
    await publish(servers.nats_url, event)
    await eventually(lambda: _is(count(sessions, effect), 1))
    await eventually(lambda: _true(crashing._task is not None and crashing._task.done()))
    await connection.close()

    # A restarted consumer with the same durable name gets the unacknowledged message again.
    restarted, connection2 = make_consumer(Consumer, sessions, servers, stream, record_effect, ack_wait_s=1.0)
    restarted.start()
    try:
        nc = await nats.connect(servers.nats_url)
        js = nc.jetstream()

        async def acked() -> bool:
            info = await js.consumer_info(stream, restarted.name)
            return info.num_ack_pending == 0 and info.num_pending == 0 and info.delivered.consumer_seq >= 2

        await eventually(acked, timeout=15)
        await nc.close()
        assert await count(sessions, effect) == 1
        assert restarted.handled_total == 0  # it saw the event, found it in the inbox, only acked
    finally:
        await restarted.stop()
        await connection2.close()


async def test_a_failing_event_is_retried_a_bounded_number_of_times_then_dead_lettered(
    sessions,
    servers: RunningServers,
    stream: str,  # type: ignore[no-untyped-def]
) -> None:
    attempts: list[str] = []

    async def flaky(session: AsyncSession, event: CloudEvent) -> None:
        await record_effect(session, event)
        if event.data["name"] == "poison":
            attempts.append(event.id)
            raise ValueError("cannot handle this widget")

    consumer, connection = make_consumer(Consumer, sessions, servers, stream, flaky, max_deliver=3)
    consumer.start()
    try:
        wid = uuid.uuid4().hex
        poison = make_event(WidgetCreated(widget_id=wid, name="poison"), subject=wid)
        await publish(servers.nats_url, poison)
        good = widget_event()
        await publish(servers.nats_url, good)
        await eventually(lambda: _is(count(sessions, dead_letter), 1), timeout=20)
        assert len(attempts) == 3
        async with sessions() as session:
            row = (await session.execute(sa.select(dead_letter))).one()
        assert row.event_id == poison.id and row.deliveries == 3 and "cannot handle" in row.error
        # The failed attempts' effects were rolled back; the good event went through.
        await eventually(lambda: _is(count(sessions, effect), 1))
        async with sessions() as session:
            ids = (await session.execute(sa.select(effect.c.widget_id))).scalars().all()
        assert ids == [good.data["widget_id"]]
    finally:
        await consumer.stop()
        await connection.close()


async def _is(value, expected) -> bool:  # type: ignore[no-untyped-def]
    return await value == expected


async def _true(value: bool) -> bool:
    return value
