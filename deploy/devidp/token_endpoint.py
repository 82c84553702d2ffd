"""``POST /realms/{realm}/protocol/openid-connect/token``: the four grants Hawkari uses.

Error codes and statuses follow Keycloak's, because clients (python-keycloak, the portal) branch
on them: a wrong password is 401 ``invalid_grant``, a bad client secret 401 ``invalid_client``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData

from deploy.devidp.context import Idp, OAuthError, authenticate_client, current_idp
from deploy.devidp.realm import Client, User
from deploy.devidp.tokens import Grant, InvalidToken, granted_scope

router = APIRouter()

# RFC 7636 4.1: 43 to 128 characters from the unreserved set.
CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@router.post("/realms/{realm}/protocol/openid-connect/token")
async def token(request: Request, idp: Annotated[Idp, Depends(current_idp)]) -> JSONResponse:
    form = await request.form()
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "Missing form parameter: grant_type")
    client = authenticate_client(idp, request, form)
    handlers = {
        "password": _password,
        "client_credentials": _client_credentials,
        "authorization_code": _authorization_code,
        "refresh_token": _refresh_token,
    }
    handler = handlers.get(str(grant_type))
    if handler is None:
        raise OAuthError("unsupported_grant_type", "Unsupported grant_type")
    body = handler(idp, client, form)
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _password(idp: Idp, client: Client, form: FormData) -> dict[str, Any]:
    if not client.direct_access_grants:
        raise OAuthError("unauthorized_client", "Client not allowed for direct access grants")
    user = idp.check_password(str(form.get("username") or ""), str(form.get("password") or ""))
    if user is None:
        raise OAuthError("invalid_grant", "Invalid user credentials", 401)
    _require_enabled(user)
    grant = Grant(user, client, granted_scope(_opt(form, "scope")), idp.sessions.start(), int(time.time()))
    return idp.tokens.token_response(grant)


def _client_credentials(idp: Idp, client: Client, form: FormData) -> dict[str, Any]:
    if client.public:
        raise OAuthError("unauthorized_client", "Public client not allowed to retrieve service account")
    if not client.service_accounts:
        raise OAuthError("unauthorized_client", "Client not enabled to retrieve service account")
    user = idp.realm.service_account(client.client_id)
    _require_enabled(user)
    # Like Keycloak since version 12: no refresh token and no login session for a service account.
    grant = Grant(user, client, granted_scope(_opt(form, "scope")), None)
    return idp.tokens.token_response(grant, refresh=False)


def _authorization_code(idp: Idp, client: Client, form: FormData) -> dict[str, Any]:
    if not client.standard_flow:
        raise OAuthError("unauthorized_client", "Client not allowed to exchange code")
    code = _opt(form, "code")
    if code is None:
        raise OAuthError("invalid_request", "Missing parameter: code")
    pending = idp.codes.redeem(code)
    if pending is None or pending.client_id != client.client_id:
        raise OAuthError("invalid_grant", "Code not valid")
    if _opt(form, "redirect_uri") != pending.redirect_uri:
        raise OAuthError("invalid_grant", "Incorrect redirect_uri")
    if pending.code_challenge is not None:
        _check_pkce(pending.code_challenge, _opt(form, "code_verifier"))
    user = idp.realm.user_by_id(pending.user_id)
    if user is None:
        raise OAuthError("invalid_grant", "User not found")
    _require_enabled(user)
    grant = Grant(user, client, pending.scope, pending.sid, pending.auth_time, pending.nonce)
    return idp.tokens.token_response(grant)


def refresh_claims(idp: Idp, client: Client, token: str) -> dict[str, Any]:
    """The claims of a refresh token this IdP gave to ``client``."""
    try:
        claims = idp.tokens.decode(token, "Refresh")
    except InvalidToken:
        raise OAuthError("invalid_grant", "Invalid refresh token") from None
    if claims.get("azp") != client.client_id:
        raise OAuthError(
            "invalid_grant", "Invalid refresh token. Token client and authorized client don't match"
        )
    return claims


def _refresh_token(idp: Idp, client: Client, form: FormData) -> dict[str, Any]:
    claims = refresh_claims(idp, client, _opt(form, "refresh_token") or "")
    sid = claims.get("sid")
    if not idp.sessions.is_active(sid):
        raise OAuthError("invalid_grant", "Session not active")
    user = idp.realm.user_by_id(claims["sub"])
    if user is None:
        raise OAuthError("invalid_grant", "User not found")
    _require_enabled(user)
    # The user's roles and attributes are read afresh, as Keycloak does on refresh.
    scope = str(claims.get("scope", ""))
    grant = Grant(user, client, scope, sid, claims.get("auth_time"), claims.get("nonce"))
    return idp.tokens.token_response(grant)


def _check_pkce(challenge: str, verifier: str | None) -> None:
    if verifier is None:
        raise OAuthError("invalid_grant", "PKCE code verifier not specified")
    if not CODE_VERIFIER.fullmatch(verifier):
        raise OAuthError("invalid_grant", "PKCE verification failed: Invalid code verifier")
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    if not hmac.compare_digest(digest, challenge):
        raise OAuthError("invalid_grant", "PKCE verification failed: Code mismatch")


def _require_enabled(user: User) -> None:
    if not user.enabled:
        raise OAuthError("invalid_grant", "Account disabled")


def _opt(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value else None
