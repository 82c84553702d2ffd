"""The delivery loops that run in the app's lifespan: email, digests and webhooks.

Each loop wakes every ``worker_interval_s`` (or at once when woken) and does what is due by the
injectable clock. A loop that fails (database down) logs, waits and tries again: nothing is lost,
it is only late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from services.notifications.email.worker import EmailWorker
from services.notifications.webhooks.worker import WebhookWorker

logger = logging.getLogger("hawkari.notifications.workers")


class DeliveryLoops:
    def __init__(self, email: EmailWorker, webhooks: WebhookWorker, interval_s: float) -> None:
        self.email = email
        self.webhooks = webhooks
        self.interval_s = interval_s
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._loop("email", self.email.run_once), name="notifications-email"),
            asyncio.create_task(self._loop("digest", self.email.run_digests), name="notifications-digest"),
            asyncio.create_task(
                self._loop("webhooks", self.webhooks.run_once), name="notifications-webhooks"
            ),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self, name: str, step: Callable[[], Awaitable[int]]) -> None:
        while True:
            try:
                while await step():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("%s loop paused: %s", name, exc.__class__.__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
