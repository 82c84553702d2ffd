"""What every endpoint needs: the loaded realm, key and state, and the OAuth error shape."""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from fastapi import Request
from fastapi.responses import JSONResponse
from joserfc.jwk import RSAKey
from starlette.datastructures import FormData

from deploy.devidp.realm import Client, Realm, User
from deploy.devidp.settings import IdpSettings
from deploy.devidp.state import AuthorizationCodes, FailedLogins, Sessions
from deploy.devidp.tokens import TokenIssuer


@dataclass
class Idp:
    settings: IdpSettings
    realm: Realm
    key: RSAKey
    issuer: str
    tokens: TokenIssuer
    codes: AuthorizationCodes
    sessions: Sessions
    failed_logins: FailedLogins

    def endpoint(self, name: str) -> str:
        return f"{self.issuer}/protocol/openid-connect/{name}"

    def check_password(self, login: str, password: str) -> User | None:
        """The user if ``password`` is theirs and they are not locked out by brute-force detection."""
        user = self.realm.user_by_login(login)
        if user is None:
            return None
        if self.failed_logins.is_locked(user.id):
            return None
        if not user.password_matches(password):
            self.failed_logins.failed(user.id)
            return None
        self.failed_logins.succeeded(user.id)
        return user


class RealmNotFound(Exception):
    pass


class OAuthError(Exception):
    """An RFC 6749 error, with the status code Keycloak answers it with."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.status == 401 and self.error == "invalid_client":
            headers["WWW-Authenticate"] = 'Basic realm="hawkari"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=headers,
        )


def current_idp(request: Request, realm: str) -> Idp:
    """The IdP serving ``/realms/{realm}``; any other realm name is a 404, as in Keycloak."""
    idp: Idp = request.app.state.idp
    if realm != idp.realm.name:
        raise RealmNotFound(realm)
    return idp


def authenticate_client(idp: Idp, request: Request, form: FormData | dict[str, Any]) -> Client:
    """The calling client: HTTP Basic or form credentials if confidential, just client_id if public."""
    client_id, secret = _basic_credentials(request)
    if client_id is None:
        client_id, secret = _str(form.get("client_id")), _str(form.get("client_secret"))
    if not client_id:
        raise OAuthError("invalid_client", "Missing parameter: client_id", 401)
    client = idp.realm.clients.get(client_id)
    if client is None or not client.enabled:
        raise OAuthError("invalid_client", "Invalid client or Invalid client credentials", 401)
    if client.public:
        return client
    if client.secret is None:
        # The production realm leaves secrets to Keycloak; this IdP can only serve the dev files.
        raise OAuthError("invalid_client", "Client has no secret in the realm file", 401)
    if not secret or not hmac.compare_digest(secret.encode(), client.secret.encode()):
        raise OAuthError("invalid_client", "Invalid client or Invalid client credentials", 401)
    return client


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", "Malformed Basic authorization header", 401) from None
    client_id, _, secret = decoded.partition(":")
    # RFC 6749 2.3.1: both parts are form-encoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
