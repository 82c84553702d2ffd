"""In-memory state: authorization codes and ended login sessions.

Everything else is stateless (tokens are signed), which is what lets tokens survive a restart.
All access happens on the server's one event loop without an ``await`` between check and change,
so no lock is needed.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass


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
