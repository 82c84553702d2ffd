"""Transactional outbox: events are rows written in the same transaction as the change.

A relay publishes them to JetStream with ``Nats-Msg-Id`` = event id (JetStream drops a second
copy within its duplicate window), marks them published, and sleeps on PostgreSQL
``LISTEN/NOTIFY`` so an event leaves within milliseconds of its commit rather than a poll
interval later. When NATS is down the rows simply wait; the relay backs off and resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import sqlalchemy as sa
from nats.js import JetStreamContext
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import asyncpg_dsn, keep_session_state
from shared.events.contracts import EventContract
from shared.events.envelope import CloudEvent, make_event
from shared.messaging import NatsConnection, StreamSpec, ensure_stream
from shared.telemetry import inject_headers

logger = logging.getLogger("hawkari.outbox")

NOTIFY_CHANNEL = "hawkari_outbox"
TABLE_NAME = "outbox_event"


def define_outbox_table(metadata: sa.MetaData) -> sa.Table:
    """The outbox table in a service's own metadata (and so in its own migrations)."""
    return sa.Table(
        TABLE_NAME,
        metadata,
        # The order events were committed in: the relay publishes in this order.
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Index("ix_outbox_event_unpublished", "seq", postgresql_where=sa.text("published_at IS NULL")),
    )


def outbox_row(contract: EventContract, *, entity_id: str) -> tuple[CloudEvent, dict[str, Any]]:
    """The event in its envelope, and the outbox row's values for it (``envelope`` and ``headers``
    as JSON objects). Also for hot paths that insert the row in a statement of their own."""
    event = make_event(contract, subject=entity_id)
    return event, {
        "id": event.id,
        "subject": contract.subject(entity_id),
        "type": event.type,
        "envelope": event.model_dump(mode="json", exclude_none=True),
        "headers": inject_headers(),
    }


async def add_event(
    session: AsyncSession, table: sa.Table, contract: EventContract, *, entity_id: str
) -> CloudEvent:
    """Write an event in the caller's transaction. It is published only if that commits."""
    event, row = outbox_row(contract, entity_id=entity_id)
    await session.execute(_insert_notifying(table), row)
    return event


@functools.cache
def _insert_notifying(table: sa.Table) -> sa.Insert:
    """The row and its notification in one statement (one round trip), built once per table.

    The notification is delivered to listeners at commit, and not at all on rollback; repeats in one
    transaction fold into one.
    """
    return sa.insert(table).returning(sa.func.pg_notify(NOTIFY_CHANNEL, ""))


@dataclass
class OutboxRelay:
    """Publishes a service's outbox to JetStream. Safe to run in several processes at once."""

    database_url: str
    nats: NatsConnection
    # The producer's streams, made (or updated) before the first publish.
    streams: Sequence[StreamSpec] = ()
    batch_size: int = 200
    # A safety net in case a notification is missed (for example while reconnecting).
    poll_interval_s: float = 2.0
    max_backoff_s: float = 5.0
    published_total: int = 0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run(self) -> None:
        backoff = 0.1
        streams_ready = False
        listener: asyncpg.Connection | None = None
        pool: asyncpg.Pool | None = None
        try:
            while True:
                try:
                    if pool is None:
                        pool = await asyncpg.create_pool(
                            asyncpg_dsn(self.database_url),
                            min_size=1,
                            max_size=2,
                            # A mark lost in a PostgreSQL crash (the last fraction of a second) only
                            # publishes its events again: JetStream drops the copies by Nats-Msg-Id,
                            # and consumers' inboxes any it no longer remembers. So the relay does
                            # not wait for each mark to reach the disk before its next batch.
                            server_settings={"synchronous_commit": "off"},
                            # The relay leaves nothing on a connection but its finished transaction:
                            # the default reset would cost a round trip per batch.
                            reset=keep_session_state,
                        )
                    if listener is None or listener.is_closed():
                        listener = await asyncpg.connect(asyncpg_dsn(self.database_url))
                        await listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
                    js = await self.nats.jetstream()
                    if not streams_ready:
                        for spec in self.streams:
                            await ensure_stream(js, spec)
                        streams_ready = True
                    # Clear before reading: a commit notified during the read wakes the next round.
                    self._wake.clear()
                    while await self.publish_batch(pool, js) == self.batch_size:
                        pass
                    backoff = 0.1
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    logger.warning("outbox relay paused: %s", exc.__class__.__name__)
                    if listener is not None and listener.is_closed():
                        listener = None
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.max_backoff_s)
        finally:
            if listener is not None and not listener.is_closed():
                with contextlib.suppress(Exception):
                    await listener.close()
            if pool is not None:
                with contextlib.suppress(Exception):
                    await pool.close()

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def publish_batch(self, pool: asyncpg.Pool, js: JetStreamContext) -> int:
        """Publish up to ``batch_size`` unpublished events in commit order. Returns how many."""
        async with pool.acquire() as conn, conn.transaction():
            # Locked and marked in one statement; the mark commits only once JetStream has them all.
            rows = await conn.fetch(
                f"UPDATE {TABLE_NAME} SET published_at = now(), attempts = attempts + 1 "  # noqa: S608 - constant
                f"WHERE seq IN (SELECT seq FROM {TABLE_NAME} WHERE published_at IS NULL "
                "ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED) "
                "RETURNING seq, id, subject, envelope, headers",
                self.batch_size,
            )
            if not rows:
                return 0
            # Sent back to back on one connection, so JetStream stores them in this order;
            # then every acknowledgement is awaited before the transaction commits.
            futures = []
            for row in sorted(rows, key=lambda r: r["seq"]):
                headers = {**json.loads(row["headers"]), "Nats-Msg-Id": str(row["id"])}
                futures.append(
                    await js.publish_async(row["subject"], row["envelope"].encode(), headers=headers)
                )
            # A failure here rolls back and leaves the rows for the next attempt; anything JetStream
            # did store is dropped as a duplicate then, by its Nats-Msg-Id.
            await asyncio.wait_for(asyncio.gather(*futures), timeout=10)
            self.published_total += len(rows)
            return len(rows)
