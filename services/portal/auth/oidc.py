"""The portal as an OpenID Connect client: authorization code flow with PKCE (S256), refresh, logout.

Discovery is read once from the realm. Browser-facing endpoints (authorization, end session) use
the issuer's public URL; the token endpoint is reached over the back channel, through
``oidc_internal_url`` when one is configured (a cluster-internal name for Keycloak).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from services.portal.sessions import Tokens
from services.portal.settings import PortalSettings
from shared.db import utcnow


class OidcError(Exception):
    """The identity provider refused or could not be reached."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    end_session: str | None


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(48)  # 64 characters from the unreserved set
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OidcClient:
    def __init__(self, settings: PortalSettings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._endpoints: Endpoints | None = None
        self.issuer = settings.oidc_issuer.rstrip("/")

    @property
    def redirect_uri(self) -> str:
        return f"{self._settings.public_url.rstrip('/')}/auth/callback"

    async def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            base = (self._settings.oidc_internal_url or self.issuer).rstrip("/")
            try:
                response = await self._http.get(f"{base}/.well-known/openid-configuration")
                response.raise_for_status()
                doc = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise OidcError("the identity provider cannot be reached") from exc

            def public(url: str) -> str:  # the browser must see the issuer's own host
                return self.issuer + url[len(base) :] if url.startswith(base) else url

            self._endpoints = Endpoints(
                authorization=public(doc["authorization_endpoint"]),
                token=doc["token_endpoint"],
                end_session=public(doc["end_session_endpoint"]) if doc.get("end_session_endpoint") else None,
            )
        return self._endpoints

    async def authorization_url(self, state: str, challenge: str, ui_locale: str) -> str:
        query = {
            "client_id": self._settings.oidc_client_id,
            "response_type": "code",
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile email",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "ui_locales": ui_locale,
        }
        return f"{(await self.endpoints()).authorization}?{urlencode(query)}"

    async def exchange_code(self, code: str, verifier: str) -> Tokens:
        return await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> Tokens:
        return await self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def logout_url(self, id_token: str | None) -> str | None:
        end = (await self.endpoints()).end_session
        if end is None:
            return None
        query = {
            "client_id": self._settings.oidc_client_id,
            "post_logout_redirect_uri": f"{self._settings.public_url.rstrip('/')}/",
        }
        if id_token:
            query["id_token_hint"] = id_token
        return f"{end}?{urlencode(query)}"

    async def _token_request(self, form: dict[str, str]) -> Tokens:
        endpoint = (await self.endpoints()).token
        auth = (self._settings.oidc_client_id, self._settings.oidc_client_secret.get_secret_value())
        try:
            response = await self._http.post(endpoint, data=form, auth=auth)
        except httpx.HTTPError as exc:
            raise OidcError("the identity provider cannot be reached") from exc
        if response.status_code != 200:
            raise OidcError(_oauth_error(response))
        body: dict[str, Any] = response.json()
        lifetime = int(body.get("expires_in", 300))
        return Tokens(
            access=body["access_token"],
            refresh=body.get("refresh_token"),
            id_token=body.get("id_token"),
            access_expires_at=utcnow() + timedelta(seconds=lifetime),
        )


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('error', 'error')}: {body.get('error_description', '')}".strip()
    except ValueError:
        return f"HTTP {response.status_code}"
