"""Per-client rate limits for expensive routes: a token bucket per caller, answered with 429.

A limiter lives in one service process (each service runs as one process, see
docs/architecture.md), so the limit is per process: enough to stop one client from monopolising
a search that scans the directory, not a global quota. Callers are told when to come back::

    # create_app: one limiter per limited route, made from settings (None switches it off)
    app.state.rate_limiters = {"search": RateLimiter.per_minute(settings.search_rate_per_minute, 30)}

    @router.get("", dependencies=[Depends(rate_limited("search"))])
    async def search(...): ...
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request

from shared.auth import CurrentPrincipal
from shared.errors import ProblemError


class TooManyRequests(ProblemError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(
            detail, headers={"Retry-After": str(retry_after)}, extra={"retry_after": retry_after}
        )


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``burst`` requests at once, refilled at ``rate`` requests per second, per client key."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limiter needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}

    @classmethod
    def per_minute(cls, requests: int, burst: int) -> RateLimiter | None:
        """A limiter of ``requests`` per minute, or None (no limit) when ``requests`` is 0."""
        return cls(requests / 60.0, burst) if requests > 0 else None

    def check(self, key: str) -> None:
        """Take one request from ``key``'s bucket, or raise :class:`TooManyRequests`."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return
        wait = math.ceil((1.0 - bucket.tokens) / self.rate)
        raise TooManyRequests(
            f"Too many requests from you to this route; try again in {wait} s.", retry_after=max(wait, 1)
        )

    def _forget_idle(self, now: float) -> None:
        # Memory stays bounded however many clients come: a bucket that has refilled holds no
        # state worth keeping, and if every bucket is busy the oldest go.
        if len(self._buckets) < self._max_clients:
            return
        full_after = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < full_after}
        while len(self._buckets) >= self._max_clients:
            del self._buckets[next(iter(self._buckets))]


def rate_limited(name: str) -> Callable[..., Awaitable[None]]:
    """A dependency charging the caller (by token subject) to ``app.state.rate_limiters[name]``."""

    async def dependency(request: Request, principal: CurrentPrincipal) -> None:
        limiters: dict[str, RateLimiter | None] = getattr(request.app.state, "rate_limiters", {})
        limiter = limiters.get(name)
        if limiter is not None:
            limiter.check(principal.subject)

    dependency.__name__ = f"rate_limited_{name}"
    return dependency
