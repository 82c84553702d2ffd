"""The read-only endpoints: discovery, keys, realm information, userinfo and the login stylesheet."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse

from deploy.devidp.context import Idp, current_idp
from deploy.devidp.keys import public_jwk
from deploy.devidp.tokens import InvalidToken

router = APIRouter()
STYLESHEET = Path(__file__).parent / "static" / "login.css"


@router.get("/realms/{realm}/.well-known/openid-configuration")
async def discovery(idp: Annotated[Idp, Depends(current_idp)]) -> dict[str, Any]:
    return {
        "issuer": idp.issuer,
        "authorization_endpoint": idp.endpoint("auth"),
        "token_endpoint": idp.endpoint("token"),
        "userinfo_endpoint": idp.endpoint("userinfo"),
        "end_session_endpoint": idp.endpoint("logout"),
        "jwks_uri": idp.endpoint("certs"),
        "grant_types_supported": ["authorization_code", "refresh_token", "password", "client_credentials"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "name",
            "given_name",
            "family_name",
            "preferred_username",
            "email",
            "email_verified",
            "locale",
            "org_id",
        ],
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
    }


@router.get("/realms/{realm}/protocol/openid-connect/certs")
async def certs(idp: Annotated[Idp, Depends(current_idp)]) -> dict[str, Any]:
    return {"keys": [public_jwk(idp.key)]}


@router.get("/realms/{realm}")
async def realm_info(idp: Annotated[Idp, Depends(current_idp)]) -> dict[str, Any]:
    """Keycloak's public realm document; python-keycloak's ``public_key()`` reads it."""
    public_der = idp.key.as_der(private=False)
    return {
        "realm": idp.realm.name,
        "public_key": base64.b64encode(public_der).decode(),
        "token-service": f"{idp.issuer}/protocol/openid-connect",
        "account-service": f"{idp.issuer}/account",
        "tokens-not-before": 0,
    }


@router.api_route("/realms/{realm}/protocol/openid-connect/userinfo", methods=["GET", "POST"])
async def userinfo(request: Request, idp: Annotated[Idp, Depends(current_idp)]) -> JSONResponse:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" and request.method == "POST":
        token = str((await request.form()).get("access_token") or "")
    elif scheme.lower() != "bearer":
        token = ""
    try:
        claims = idp.tokens.decode(token.strip(), "Bearer")
    except InvalidToken:
        return _invalid_token(idp, "Token verification failed")
    user = idp.realm.user_by_id(claims["sub"])
    client = idp.realm.clients.get(str(claims.get("azp")))
    if user is None or client is None or not user.enabled or not idp.sessions.is_active(claims.get("sid")):
        return _invalid_token(idp, "User session not found or doesn't have client attached on it")
    return JSONResponse({"sub": user.id, **idp.tokens.user_claims(user, client, "userinfo")})


def _invalid_token(idp: Idp, description: str) -> JSONResponse:
    challenge = f'Bearer realm="{idp.realm.name}", error="invalid_token", error_description="{description}"'
    return JSONResponse(
        {"error": "invalid_token", "error_description": description},
        status_code=401,
        headers={"WWW-Authenticate": challenge},
    )


@router.get("/resources/devidp/login.css", include_in_schema=False)
async def stylesheet() -> FileResponse:
    return FileResponse(STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"})
