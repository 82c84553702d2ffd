"""Who is asking: the session behind the cookie, a login when there is none, roles, CSRF.

Page routes take ``user: CurrentUser``; a missing or expired session raises :class:`LoginRequired`,
which sends the browser to the identity provider and, after login, back to the page it was on
(for a form post: the page that held the form).
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from services.portal.sessions import SessionStore, UserSession

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(Exception):
    def __init__(self, return_to: str) -> None:
        super().__init__(return_to)
        self.return_to = return_to


class NotPermitted(Exception):
    """The user is logged in but their roles do not open this page."""


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token."""


def safe_return_path(value: str | None) -> str:
    """A same-site path to go back to; anything else (another host, ``//x``, a scheme) becomes ``/``."""
    if not value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    if "\\" in value or any(ord(c) < 32 for c in value):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def return_path(request: Request) -> str:
    """Where to come back to after a login: this page, or for a form post the page it came from."""
    if request.method in UNSAFE_METHODS or request.headers.get("hx-request"):
        referer = request.headers.get("hx-current-url") or request.headers.get("referer")
        if referer:
            parts = urlsplit(referer)
            if parts.netloc == request.url.netloc:
                return safe_return_path(parts.path + (f"?{parts.query}" if parts.query else ""))
        return "/"
    return safe_return_path(request.url.path + (f"?{request.url.query}" if request.url.query else ""))


def store(request: Request) -> SessionStore:
    sessions: SessionStore = request.app.state.sessions
    return sessions


async def load_user(request: Request) -> UserSession | None:
    """The session of this request, loaded once and kept on ``request.state.user``."""
    if hasattr(request.state, "user"):
        user: UserSession | None = request.state.user
        return user
    sessions = store(request)
    secret = sessions.cookie_secret(request)
    request.state.user = await sessions.load(secret) if secret else None
    return request.state.user  # type: ignore[no-any-return]


async def current_user(request: Request) -> UserSession:
    user = await load_user(request)
    if user is None:
        raise LoginRequired(return_path(request))
    return user


CurrentUser = Annotated[UserSession, Depends(current_user)]


def require_roles(*roles: str):  # type: ignore[no-untyped-def]
    """A dependency admitting users holding at least one of ``roles``."""

    async def check(user: CurrentUser) -> UserSession:
        if not user.has_role(*roles):
            raise NotPermitted
        return user

    return check


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the session's token (form field or ``X-CSRF-Token``).

    Mounted on every page router. Without a session there is nothing to protect yet: the route's
    ``CurrentUser`` then asks for a login.
    """
    if request.method not in UNSAFE_METHODS:
        return
    user = await load_user(request)
    if user is None:
        raise LoginRequired(return_path(request))
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()  # parsed once; the route reads the same cached form
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, user.csrf_token):
        raise CsrfRefused


Csrf = Depends(check_csrf)
