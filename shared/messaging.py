"""The NATS connection a service holds, and its JetStream streams.

The connection is made in the lifespan, in the background: a service starts (and answers
``/healthz``) while NATS is down, reports not ready on ``/readyz``, and reconnects forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

logger = logging.getLogger("hawkari.messaging")


@dataclass(frozen=True)
class StreamSpec:
    """One JetStream stream per producing service (``REGISTRY`` holds ``registry.>``)."""

    name: str
    subjects: tuple[str, ...]
    # Keep only the latest message per subject: for event-carried state with one subject per entity.
    last_per_subject: bool = False
    duplicate_window_s: float = 600.0
    replicas: int = 1  # servers holding a copy (NATS cluster); the settings' stream_replicas

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_msgs_per_subject=1 if self.last_per_subject else -1,
            duplicate_window=self.duplicate_window_s,
            num_replicas=self.replicas,
        )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Create the stream, or bring an existing one's configuration up to date."""
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(spec.config())
        return
    with contextlib.suppress(BadRequestError):
        await js.update_stream(spec.config())


@dataclass
class NatsConnection:
    """Holds the service's NATS client once it has connected."""

    url: str
    name: str
    client: NatsClient | None = None
    _connected: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name=f"nats-connect-{self.name}")

    async def _connect(self) -> None:
        async def on_error(exc: Exception) -> None:
            logger.warning("nats: %s", exc.__class__.__name__)

        # max_reconnect_attempts=-1 also makes the first connect retry until NATS is there.
        client = await nats.connect(
            self.url,
            name=self.name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=2,
            error_cb=on_error,
        )
        self.client = client
        self._connected.set()
        logger.info("nats connected", extra={"nats_url": self.url})

    async def wait(self, timeout: float | None = None) -> NatsClient:
        await asyncio.wait_for(self._connected.wait(), timeout)
        assert self.client is not None
        return self.client

    async def jetstream(self) -> JetStreamContext:
        return (await self.wait()).jetstream(timeout=5)

    @property
    def is_connected(self) -> bool:
        return self.client is not None and self.client.is_connected

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.client is not None and not self.client.is_closed:
            with contextlib.suppress(Exception):
                await self.client.drain()
