"""The outbox against real PostgreSQL and a real NATS JetStream server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
import sqlalchemy as sa
from nats.js.api import StreamInfo

from shared.db import create_engine, create_sessionmaker
from shared.messaging import NatsConnection, StreamSpec
from shared.outbox import OutboxRelay, add_event
from shared.processes import EmbeddedNats, free_port
from shared.testing import RunningServers, eventually
from tests.shared.eventing import WidgetCreated, metadata, outbox, widget


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    yield database_url


async def create_widget(url: str, name: str, *, fail: bool = False) -> str:
    engine = create_engine(url, pool_size=1)
    sessions = create_sessionmaker(engine)
    widget_id = uuid.uuid4().hex
    try:
        async with sessions() as session, session.begin():
            await session.execute(sa.insert(widget).values(id=widget_id, name=name))
            await add_event(
                session, outbox, WidgetCreated(widget_id=widget_id, name=name), entity_id=widget_id
            )
            if fail:
                raise RuntimeError("the change fails after writing its event")
    finally:
        await engine.dispose()
    return widget_id


async def stream_messages(nats_url: str, stream: str) -> list[nats.aio.msg.Msg]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info: StreamInfo = await js.stream_info(stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            out.append(await js.get_msg(stream, seq))
        return out
    finally:
        await nc.close()


async def unpublished(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return int(
                (
                    await conn.execute(sa.select(sa.func.count()).where(outbox.c.published_at.is_(None)))
                ).scalar_one()
            )
    finally:
        await engine.dispose()


@pytest.fixture
async def stream(servers: RunningServers) -> AsyncIterator[str]:
    """A stream name for one test; removed afterwards, since streams may not share subjects."""
    name = f"TEST_{uuid.uuid4().hex[:8].upper()}"
    yield name
    nc = await nats.connect(servers.nats_url)
    try:
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


async def start_relay(
    db: str, nats_url: str, stream: str, poll: float = 60.0
) -> tuple[OutboxRelay, NatsConnection]:
    connection = NatsConnection(nats_url, name="test-relay")
    connection.start()
    relay = OutboxRelay(db, connection, streams=(StreamSpec(stream, ("testsvc.>",)),), poll_interval_s=poll)
    relay.start()
    return relay, connection


async def test_committed_event_is_published_once_with_its_id_as_msg_id(
    db: str, servers: RunningServers, stream: str
) -> None:
    relay, connection = await start_relay(db, servers.nats_url, stream)
    try:
        widget_id = await create_widget(db, "first")
        await eventually(lambda: _equals(unpublished(db), 0))
        await eventually(lambda: _count(servers.nats_url, stream, 1))
        [msg] = await stream_messages(servers.nats_url, stream)
        envelope = json.loads(msg.data)
        assert envelope["specversion"] == "1.0"
        assert envelope["type"] == "org.hawkari.widget.created.v1"
        assert envelope["subject"] == widget_id
        assert msg.headers is not None and msg.headers["Nats-Msg-Id"] == envelope["id"]
        assert msg.subject == "testsvc.widget.created"
    finally:
        await relay.stop()
        await connection.close()


async def test_rolled_back_change_publishes_nothing(db: str, servers: RunningServers) -> None:
    with pytest.raises(RuntimeError):
        await create_widget(db, "doomed", fail=True)
    assert await unpublished(db) == 0
    engine = create_engine(db, pool_size=1)
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one() == 0
    await engine.dispose()


async def test_notify_wakes_the_relay_without_waiting_for_a_poll(
    db: str, servers: RunningServers, stream: str
) -> None:
    relay, connection = await start_relay(db, servers.nats_url, stream, poll=600.0)
    try:
        await eventually(lambda: _count(servers.nats_url, stream, 0))  # relay is up, stream made
        started = time.monotonic()
        await create_widget(db, "fast")
        await eventually(lambda: _equals(unpublished(db), 0), timeout=5)
        # Far below the 600 s poll interval: only LISTEN/NOTIFY can explain it.
        assert time.monotonic() - started < 2.0
    finally:
        await relay.stop()
        await connection.close()


async def test_nats_down_the_change_commits_and_the_event_goes_out_once_on_return(
    db: str, tmp_path: Path
) -> None:
    stream = "TEST_OUTAGE"
    server = EmbeddedNats("nats", free_port(), tmp_path / "nats")
    server.start()
    relay, connection = await start_relay(db, server.url(), stream, poll=0.5)
    try:
        await create_widget(db, "before")
        await eventually(lambda: _equals(unpublished(db), 0))
        server.stop()
        ids = [await create_widget(db, f"while-down-{i}") for i in range(5)]
        assert len(ids) == 5  # every change committed although NATS is down
        await asyncio.sleep(1.0)
        assert await unpublished(db) == 5
        server.start()
        await eventually(lambda: _equals(unpublished(db), 0), timeout=30)
        msgs = await stream_messages(server.url(), stream)
        subjects = [json.loads(m.data)["subject"] for m in msgs]
        assert sorted(subjects[1:]) == sorted(ids)
        assert len(subjects) == len(set(subjects)) == 6  # each event exactly once
    finally:
        await relay.stop()
        await connection.close()
        server.stop()


async def test_republishing_after_a_crash_before_marking_is_deduplicated(
    db: str, servers: RunningServers, stream: str
) -> None:
    relay, connection = await start_relay(db, servers.nats_url, stream)
    try:
        await create_widget(db, "once")
        await eventually(lambda: _equals(unpublished(db), 0))
        # As if the relay died after JetStream stored the message but before the row was marked.
        engine = create_engine(db, pool_size=1)
        async with engine.begin() as conn:
            await conn.execute(sa.update(outbox).values(published_at=None))
        await engine.dispose()
        relay._wake.set()
        await eventually(lambda: _equals(unpublished(db), 0))
        assert len(await stream_messages(servers.nats_url, stream)) == 1
    finally:
        await relay.stop()
        await connection.close()


async def _equals(value, expected) -> bool:  # type: ignore[no-untyped-def]
    return await value == expected


async def _count(nats_url: str, stream: str, expected: int) -> bool:
    try:
        return len(await stream_messages(nats_url, stream)) == expected
    except Exception:
        return False
