"""Calling the services as the user: httpx with the user's access token, refreshed when it expires.

Page code takes ``api: UserApi`` and calls ``await api.get("referrals", "/v1/cases")``. A service's
problem+json becomes :class:`ApiProblem`, which pages show as a readable message (and, for 422,
next to the fields it names); an unreachable service is a 503 problem too, never a stack trace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from services.portal.auth.deps import CurrentUser, LoginRequired, return_path
from services.portal.auth.oidc import OidcClient, OidcError
from services.portal.sessions import SessionStore, UserSession
from services.portal.settings import PortalSettings
from shared.db import utcnow

logger = logging.getLogger("hawkari.portal.api")

SERVICES = ("registry", "referrals", "notifications", "coordination")
# Refresh a little before expiry so a token does not lapse between our check and the service's.
REFRESH_MARGIN = timedelta(seconds=30)


@dataclass
class ApiProblem(Exception):
    """An RFC 9457 problem from a service (or one we make for a service that does not answer)."""

    status: int
    title: str = ""
    detail: str = ""
    type: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"

    @property
    def slug(self) -> str:
        return self.type.rsplit(":", 1)[-1] if self.type else ""

    def pointers(self) -> dict[str, str]:
        """Field pointer (``/personal/identity_contact/given_name``) -> the service's message."""
        return {e.get("pointer", ""): e.get("detail", "") for e in self.errors}


def base_url(settings: PortalSettings, service: str) -> str:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    return str(getattr(settings, f"{service}_url")).rstrip("/")


class Api:
    """One user's calls to the services during one request."""

    def __init__(self, request: Request, user: UserSession) -> None:
        self._request = request
        self.user = user
        state = request.app.state
        self._http: httpx.AsyncClient = state.http
        self._oidc: OidcClient = state.oidc
        self._sessions: SessionStore = state.sessions
        self._settings: PortalSettings = state.settings
        # Per-request memo for reference data (see services.portal.pages.lookups).
        self.request_state: dict[str, Any] = {}

    async def token(self) -> str:
        if self.user.tokens.access_expires_at - REFRESH_MARGIN <= utcnow():
            await self.refresh()
        return self.user.tokens.access

    async def refresh(self) -> None:
        """New tokens from the refresh token; without one (or refused) the session is over."""
        refresh = self.user.tokens.refresh
        if not refresh:
            await self._end_session()
        try:
            tokens = await self._oidc.refresh(refresh or "")
        except OidcError as exc:
            logger.info("token refresh refused (%s); asking the user to log in again", exc)
            await self._end_session()
        await self._sessions.replace_tokens(self.user, tokens)

    async def _end_session(self) -> None:
        await self._sessions.delete(self.user.id)
        raise LoginRequired(return_path(self._request))

    async def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = base_url(self._settings, service) + path
        for attempt in (1, 2):
            token = await self.token()
            try:
                response = await self._http.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Accept-Language": self._request.state.lang,
                        **(headers or {}),
                    },
                )
            except httpx.HTTPError as exc:
                logger.warning("%s %s failed: %s", method, url, type(exc).__name__)
                raise ApiProblem(503, "Service unavailable", type="urn:hawkari:problem:unreachable") from exc
            if response.status_code == 401 and attempt == 1:
                await self.refresh()  # the service refused the token: one refresh, one retry
                continue
            break
        if response.status_code >= 400:
            raise problem_of(response)
        return response

    async def get(self, service: str, path: str, **kwargs: Any) -> Any:
        return _json(await self.request("GET", service, path, **kwargs))

    async def post(self, service: str, path: str, **kwargs: Any) -> Any:
        return _json(await self.request("POST", service, path, **kwargs))

    async def put(self, service: str, path: str, **kwargs: Any) -> Any:
        return _json(await self.request("PUT", service, path, **kwargs))

    async def patch(self, service: str, path: str, **kwargs: Any) -> Any:
        return _json(await self.request("PATCH", service, path, **kwargs))

    async def delete(self, service: str, path: str, **kwargs: Any) -> Any:
        return _json(await self.request("DELETE", service, path, **kwargs))


def _json(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def problem_of(response: httpx.Response) -> ApiProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    return ApiProblem(
        status=response.status_code,
        title=str(body.get("title") or ""),
        detail=str(body.get("detail") or ""),
        type=str(body.get("type") or ""),
        errors=[e for e in errors if isinstance(e, dict)],
        body=body,
    )


async def user_api(request: Request, user: CurrentUser) -> Api:
    return Api(request, user)


UserApi = Annotated[Api, Depends(user_api)]
