"""In-memory state: authorization codes, ended login sessions and failed logins.

Everything else is stateless (tokens are signed), which is what lets tokens survive a restart.
All access happens on the server's one event loop without an ``await`` between check and change,
so no lock is needed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from deploy.devidp.realm import BruteForcePolicy


@dataclass(frozen=True)
class PendingCode:
    """An issued authorization code, waiting to be exchanged once."""

    client_id: str
    redirect_uri: str
    user_id: str
    scope: str
    sid: str
    auth_time: int
    nonce: str | None
    code_challenge: str | None


class AuthorizationCodes:
    def __init__(self, lifetime: int) -> None:
        self.lifetime = lifetime
        # code -> (what it grants, monotonic expiry)
        self._codes: dict[str, tuple[PendingCode, float]] = {}

    def issue(self, pending: PendingCode) -> str:
        now = time.monotonic()
        self._codes = {c: entry for c, entry in self._codes.items() if entry[1] > now}
        code = secrets.token_urlsafe(32)
        self._codes[code] = (pending, now + self.lifetime)
        return code

    def redeem(self, code: str) -> PendingCode | None:
        """The code's grant, at most once: any attempt consumes it, successful or not (RFC 6749 4.1.2)."""
        entry = self._codes.pop(code, None)
        if entry is None or entry[1] <= time.monotonic():
            return None
        return entry[0]


class Sessions:
    """Login sessions are implied by the ``sid`` in tokens; only their ending is recorded.

    An ended session is remembered for as long as one of its refresh tokens could still be valid.
    """

    def __init__(self, refresh_lifetime: int) -> None:
        self.refresh_lifetime = refresh_lifetime
        self._ended: dict[str, float] = {}

    @staticmethod
    def start() -> str:
        return secrets.token_urlsafe(16)

    def end(self, sid: str) -> None:
        now = time.monotonic()
        self._ended = {s: t for s, t in self._ended.items() if now - t < self.refresh_lifetime}
        self._ended[sid] = now

    def is_active(self, sid: str | None) -> bool:
        return sid is None or sid not in self._ended


class FailedLogins:
    """Keycloak's brute-force detection: after ``failure_factor`` wrong passwords in a row a user is
    locked out for ``wait_increment_seconds`` (one more increment per further ``failure_factor``,
    up to ``max_failure_wait_seconds``), or for good with ``permanent_lockout``. While locked out
    even the right password is refused, with the same answer as a wrong one, as Keycloak does.
    A successful login resets the count; so does a pause of ``max_delta_time_seconds``.
    """

    def __init__(self, policy: BruteForcePolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        # user id -> (consecutive failures, time of the last one, locked until)
        self._failures: dict[str, tuple[int, float, float]] = {}

    def is_locked(self, user_id: str) -> bool:
        entry = self._failures.get(user_id)
        return self.policy.enabled and entry is not None and self._clock() < entry[2]

    def failed(self, user_id: str) -> None:
        if not self.policy.enabled:
            return
        now = self._clock()
        count, last, _ = self._failures.get(user_id, (0, now, 0.0))
        if now - last > self.policy.max_delta_time_seconds:
            count = 0
        count += 1
        locked_until = 0.0
        if count % self.policy.failure_factor == 0:
            if self.policy.permanent_lockout:
                locked_until = float("inf")
            else:
                wait = self.policy.wait_increment_seconds * (count // self.policy.failure_factor)
                locked_until = now + min(wait, self.policy.max_failure_wait_seconds)
        else:
            locked_until = self._failures.get(user_id, (0, 0.0, 0.0))[2]
        self._failures[user_id] = (count, now, locked_until)

    def succeeded(self, user_id: str) -> None:
        self._failures.pop(user_id, None)
