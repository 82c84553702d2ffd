"""Idempotent JetStream consumers: one message, one unit of work, ack after commit.

Each handled event id is recorded in the service's ``inbox_event`` table in the same transaction
as its effect, so a redelivered event (a crash after commit and before the ack, a replay, a
duplicate) finds its id there and changes nothing. A message that keeps failing is retried a
bounded number of times with growing delays, then written to ``dead_letter`` with its error and
terminated, so one bad event never blocks the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import sqlalchemy as sa
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from shared.db import driver_of
from shared.errors import is_dependency_down
from shared.events.envelope import CloudEvent, parse_event
from shared.messaging import NatsConnection
from shared.telemetry import continue_trace

logger = logging.getLogger("hawkari.consumer")

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
# A hot path's handler on the bare driver, for events it can apply without a transaction round trip
# (BEGIN and COMMIT are two of a handful per event): given a connection with no transaction open,
# the event and the consumer's name, it writes the inbox record (``consumer``, ``event_id``,
# ``event_type``) itself, atomically with its effect (one statement, or its own transaction), and
# returns whether the record was new. Anything it writes outside that unit must be idempotent. It
# returns None for events it leaves to ``handler``.
DirectHandler = Callable[[asyncpg.Connection, CloudEvent, str], Awaitable[bool | None]]
# What a dead letter may keep, decided by the service: given the parsed event (None when the
# envelope was unreadable), the error text and the exception (None when there is none), return the
# envelope (a JSON object, or None) and the error text to store. A service that must not hold what
# an event names (coordination: no case ids) keeps ids and codes only.
DeadLetterRedactor = Callable[
    [CloudEvent | None, str, BaseException | None], tuple[dict[str, Any] | None, str]
]


def define_inbox_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    inbox = sa.Table(
        "inbox_event",
        metadata,
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    dead = sa.Table(
        "dead_letter",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("stream_sequence", sa.BigInteger, nullable=True),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    return inbox, dead


@dataclass
class Consumer:
    """A durable pull consumer feeding one handler."""

    name: str  # the durable name, unique per service and purpose
    stream: str
    subjects: tuple[str, ...]
    handler: Handler
    sessionmaker: async_sessionmaker[AsyncSession]
    inbox: sa.Table
    dead_letter: sa.Table
    nats: NatsConnection
    max_deliver: int = 5
    ack_wait_s: float = 30.0
    batch: int = 64
    # Pullers on the same durable. More than one handles messages concurrently, so use it only
    # where order does not matter (the handler is commutative, or state carries versions).
    concurrency: int = 1
    # None keeps the whole envelope and the error's repr (fine where events name no person).
    redact_dead_letter: DeadLetterRedactor | None = None
    direct: DirectHandler | None = None
    handled_total: int = 0
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    # Built once: a statement made per message costs more CPU to build and look up than to run.
    _record: ReturningInsert[tuple[str]] = field(init=False)

    def __post_init__(self) -> None:
        self._record = insert(self.inbox).on_conflict_do_nothing().returning(self.inbox.c.event_id)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"consumer-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _config(self) -> ConsumerConfig:
        filters = list(self.subjects)
        return ConsumerConfig(
            durable_name=self.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            # One more than our own limit: the last delivery is the one that writes the dead letter.
            max_deliver=self.max_deliver + 1,
            ack_wait=self.ack_wait_s,
            filter_subject=filters[0] if len(filters) == 1 else None,
            filter_subjects=filters if len(filters) > 1 else None,
        )

    async def run(self) -> None:
        backoff = 0.2
        while True:
            pullers: list[asyncio.Task[None]] = []
            try:
                js = await self.nats.jetstream()
                # Creating a durable that exists with the same configuration is a no-op.
                await js.add_consumer(self.stream, self._config())
                backoff = 0.2
                pullers = [
                    asyncio.create_task(self._pull(), name=f"consumer-{self.name}-{i}")
                    for i in range(self.concurrency)
                ]
                await asyncio.gather(*pullers)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("consumer %s paused: %s", self.name, exc.__class__.__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                for task in pullers:
                    task.cancel()
                for task in pullers:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    async def _pull(self) -> None:
        js = await self.nats.jetstream()
        sub = await js.pull_subscribe_bind(durable=self.name, stream=self.stream)
        # Fetch one message at a time while the stream is quiet: a lingering fetch of a larger
        # batch would wait (up to its timeout) for the batch to fill. When a fetch comes back full
        # there is a backlog (a replay, a burst): then take batches, with a short linger, until it
        # drains. Several pullers always take one message each.
        size = 1
        try:
            while True:
                try:
                    msgs = await sub.fetch(size, timeout=1.0 if size == 1 else 0.05)
                except (FetchTimeoutError, TimeoutError):
                    size = 1
                    continue
                for msg in msgs:
                    await self.process(msg)
                size = self.batch if self.concurrency == 1 and len(msgs) == size else 1
        finally:
            # An open pull subscription would hold the connection's drain for its full timeout.
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def process(self, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered or 1
        try:
            event = parse_event(msg.data)
        except Exception as exc:
            await self._dead_letter(msg, None, deliveries, f"unreadable envelope: {exc.__class__.__name__}")
            await msg.term()
            return
        with continue_trace(msg.headers, f"consume {msg.subject}", **{"messaging.consumer": self.name}):
            try:
                handled = await self._handle_holding(msg, event)
            except Exception as exc:
                logger.warning(
                    "consumer %s failed on %s (delivery %s): %s",
                    self.name,
                    event.type,
                    deliveries,
                    exc.__class__.__name__,
                )
                if deliveries >= self.max_deliver:
                    await self._dead_letter(msg, event, deliveries, repr(exc)[:2000], exc)
                    await msg.term()
                else:
                    await msg.nak(delay=min(0.5 * 2 ** (deliveries - 1), 30.0))
                return
        await msg.ack()
        if handled:
            self.handled_total += 1

    async def _handle_holding(self, msg: Msg, event: CloudEvent) -> bool:
        """Handle the event; while the database is unreachable, hold the message and try again.

        An outage says nothing about the message, so it must not spend the message's redelivery
        budget: a nak would, and a PostgreSQL restart longer than the budget would dead-letter (or,
        past JetStream's own limit, silently drop) every event that arrived meanwhile. Holding keeps
        the delivery (``in_progress`` pushes its ack deadline on) until the database answers.
        """
        backoff = 0.2
        while True:
            try:
                return await self.handle_once(event)
            except Exception as exc:
                if not is_dependency_down(exc):
                    raise
                logger.warning("consumer %s waits for the database: %s", self.name, exc.__class__.__name__)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
            await msg.in_progress()

    async def handle_once(self, event: CloudEvent) -> bool:
        """Apply the handler in one transaction with the inbox record. False if already handled."""
        if self.direct is not None:
            handled = await self._handle_direct(self.direct, event)
            if handled is not None:
                return handled
        async with self.sessionmaker() as session, session.begin():
            inserted = await session.execute(
                self._record, {"consumer": self.name, "event_id": event.id, "event_type": event.type}
            )
            if inserted.first() is None:
                return False
            await self.handler(session, event)
        return True

    async def _handle_direct(self, direct: DirectHandler, event: CloudEvent) -> bool | None:
        # A pooled connection on which SQLAlchemy has begun nothing: asyncpg runs in autocommit.
        engine: AsyncEngine = self.sessionmaker.kw["bind"]
        async with engine.connect() as conn:
            driver = await driver_of(conn)
            try:
                return await direct(driver, event, self.name)
            except BaseException as exc:
                # The pool never saw the driver fail: a connection the error (or a cancellation
                # mid-statement) may have left unusable is dropped rather than handed out again.
                if not isinstance(exc, asyncpg.PostgresError) or driver.is_closed():
                    await conn.invalidate()
                raise

    async def _dead_letter(
        self,
        msg: Msg,
        event: CloudEvent | None,
        deliveries: int,
        error: str,
        exc: BaseException | None = None,
    ) -> None:
        envelope = event.model_dump(mode="json") if event else None
        if self.redact_dead_letter is not None:
            envelope, error = self.redact_dead_letter(event, error, exc)
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                sa.insert(self.dead_letter).values(
                    consumer=self.name,
                    event_id=event.id if event else None,
                    subject=msg.subject,
                    stream_sequence=msg.metadata.sequence.stream if msg.metadata else None,
                    deliveries=deliveries,
                    error=error,
                    envelope=envelope,
                )
            )
        logger.error("consumer %s dead-lettered a message on %s", self.name, msg.subject)
