"""Live inbox updates: PostgreSQL NOTIFY after commit, fanned out to Server-Sent Event streams.

The consumer writes an item and ``pg_notify`` in one transaction, so a stream hears of an item only
once it is committed (and from any process of the service). Each app holds one LISTEN connection
and hands every item to the subscribers whose audience it matches.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared.db import asyncpg_dsn

logger = logging.getLogger("hawkari.notifications.live")

CHANNEL = "hawkari_notifications_inbox"


@dataclass(eq=False)
class Subscription:
    subject: str
    org_id: str | None
    groups: frozenset[str]
    muted: frozenset[str]
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    def wants(self, item: dict[str, Any]) -> bool:
        if item["kind"] in self.muted:
            return False
        if item["recipient_subject"]:
            return bool(item["recipient_subject"] == self.subject)
        return item["org_id"] == self.org_id and item["audience"] in self.groups


@dataclass
class LiveHub:
    database_url: str
    subscriptions: set[Subscription] = field(default_factory=set)
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notifications-live")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_ready(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    def subscribe(self, sub: Subscription) -> None:
        self.subscriptions.add(sub)

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscriptions.discard(sub)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            item = json.loads(payload)
        except ValueError:
            return
        for sub in list(self.subscriptions):
            if sub.wants(item):
                try:
                    sub.queue.put_nowait(item)
                except asyncio.QueueFull:
                    logger.warning("live subscriber too slow; an item was dropped from its stream")

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(asyncpg_dsn(self.database_url))
                await conn.add_listener(CHANNEL, self._on_notify)
                self._ready.set()
                backoff = 0.2
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _c, done=closed: done.set())
                await closed.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("live listener paused: %s", exc.__class__.__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close()
