"""``/login`` (to the identity provider), ``/auth/callback`` (back from it) and ``/logout``."""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.portal.auth.deps import CurrentUser, check_csrf, load_user, safe_return_path
from services.portal.auth.oidc import OidcClient, OidcError, pkce_pair
from services.portal.i18n import gettext_ as _
from services.portal.sessions import SessionStore
from services.portal.templating import render
from shared.auth import TokenVerifier
from shared.errors import ProblemError

logger = logging.getLogger("hawkari.portal.auth")
router = APIRouter()


@router.get("/login")
async def login(request: Request, next: str = "/") -> Response:
    oidc: OidcClient = request.app.state.oidc
    sessions: SessionStore = request.app.state.sessions
    return_to = safe_return_path(next)
    if await load_user(request) is not None:
        return RedirectResponse(return_to, status_code=303)
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    try:
        url = await oidc.authorization_url(state, challenge, request.state.lang)
    except OidcError:
        return _login_failed(request, 503)
    await sessions.begin_login(state, verifier, return_to)
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


@router.get("/auth/callback")
async def callback(
    request: Request, state: str = "", code: str = "", error: str = "", error_description: str = ""
) -> Response:
    oidc: OidcClient = request.app.state.oidc
    sessions: SessionStore = request.app.state.sessions
    verifier: TokenVerifier = request.app.state.token_verifier
    pending = await sessions.finish_login(state) if state else None
    if pending is None:
        # Unknown, reused or stale state: start again rather than trust this callback.
        return RedirectResponse("/login", status_code=303)
    code_verifier, return_to = pending
    if error or not code:
        logger.info("login refused by the identity provider: %s", error or "no code")
        return _login_failed(request, 400)
    try:
        tokens = await oidc.exchange_code(code, code_verifier)
        principal = await verifier.verify(tokens.access)
    except (OidcError, ProblemError) as exc:
        logger.warning("login failed: %s", exc)
        return _login_failed(request, 400)
    secret = await sessions.create(
        subject=principal.subject,
        username=principal.username,
        org_id=str(principal.org_id) if principal.org_id else None,
        roles=principal.roles,
        tokens=tokens,
    )
    response = RedirectResponse(return_to, status_code=303)
    sessions.set_cookie(response, secret)
    return response


@router.post("/logout")
async def logout(request: Request, user: CurrentUser) -> Response:
    await check_csrf(request)
    oidc: OidcClient = request.app.state.oidc
    sessions: SessionStore = request.app.state.sessions
    await sessions.delete(user.id)
    try:
        target = await oidc.logout_url(user.tokens.id_token) or "/"
    except OidcError:
        target = "/"
    response = RedirectResponse(target, status_code=303)
    sessions.clear_cookie(response)
    return response


def _login_failed(request: Request, status: int) -> Response:
    return render(
        request,
        "error.html",
        {"title": _("Login failed"), "message": _("The login could not be completed. Please try again.")},
        status_code=status,
    )
