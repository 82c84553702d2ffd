"""The browser side: the authorization endpoint with its login form, and RP-initiated logout.

The login form carries the authorization request in hidden fields and the POST checks it again
from scratch, so the IdP keeps no state until a code is issued. There is no SSO cookie: every
authorization request shows the form, which is what tests and demos want.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from deploy.devidp.context import Idp, authenticate_client, current_idp
from deploy.devidp.state import PendingCode
from deploy.devidp.token_endpoint import refresh_claims
from deploy.devidp.tokens import InvalidToken, granted_scope

router = APIRouter()
templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# RFC 7636: an S256 challenge is the base64url of a SHA-256 digest, 43 characters.
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
# No script, nothing from elsewhere; the stylesheet is ours. form-action is left open on purpose:
# browsers apply it to the redirect after the POST, which goes to the client's origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class AuthRequest:
    client_id: str = ""
    redirect_uri: str = ""
    response_type: str = ""
    scope: str = ""
    state: str = ""
    nonce: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""
    prompt: str = ""

    @classmethod
    def of(cls, params: FormData | dict[str, str]) -> AuthRequest:
        return cls(**{name: str(params.get(name) or "") for name in cls.__dataclass_fields__})


class Refusal(Exception):
    """A request error reported back to the client's redirect URI (RFC 6749 4.1.2.1)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


@router.get("/realms/{realm}/protocol/openid-connect/auth")
async def authorization_page(request: Request, idp: Annotated[Idp, Depends(current_idp)]) -> Response:
    auth = AuthRequest.of(dict(request.query_params))
    return _handle(request, idp, auth, login=None)


@router.post("/realms/{realm}/protocol/openid-connect/auth")
async def submit_login(request: Request, idp: Annotated[Idp, Depends(current_idp)]) -> Response:
    form = await request.form()
    login = (str(form.get("username") or ""), str(form.get("password") or ""))
    return _handle(request, idp, AuthRequest.of(form), login=login)


def _handle(request: Request, idp: Idp, auth: AuthRequest, login: tuple[str, str] | None) -> Response:
    client = idp.realm.clients.get(auth.client_id)
    # Without a known client and a registered redirect URI there is nowhere safe to send an error.
    if client is None or not client.enabled:
        return _message(request, idp, "Client not found.", 400)
    if not auth.redirect_uri or not client.allows_redirect(auth.redirect_uri):
        return _message(request, idp, "Invalid parameter: redirect_uri", 400)
    try:
        _check(client.standard_flow, client.pkce_method, auth)
    except Refusal as refusal:
        return _redirect(idp, auth, error=refusal.error, error_description=refusal.description)
    if login is None:
        return _login_form(request, idp, auth)
    user = idp.check_password(*login)
    if user is None:
        return _login_form(request, idp, auth, login[0], "Invalid username or password.")
    if not user.enabled:
        return _login_form(request, idp, auth, login[0], "Account is disabled, contact your administrator.")
    sid = idp.sessions.start()
    code = idp.codes.issue(
        PendingCode(
            client_id=client.client_id,
            redirect_uri=auth.redirect_uri,
            user_id=user.id,
            scope=granted_scope(auth.scope),
            sid=sid,
            auth_time=int(time.time()),
            nonce=auth.nonce or None,
            code_challenge=auth.code_challenge or None,
        )
    )
    return _redirect(idp, auth, code=code, session_state=sid)


def _check(standard_flow: bool, pkce_method: str | None, auth: AuthRequest) -> None:
    if not standard_flow:
        raise Refusal("unauthorized_client", "Client is not allowed to initiate browser login.")
    if auth.response_type != "code":
        raise Refusal("unsupported_response_type", "Only response_type=code is supported.")
    if auth.prompt == "none":
        raise Refusal("login_required", "No active login session")  # there is no SSO session to reuse
    if not auth.code_challenge:
        if pkce_method:
            raise Refusal("invalid_request", "Missing parameter: code_challenge")
        return
    # Only S256: "plain" would hand the verifier to anyone who sees the authorization request.
    if auth.code_challenge_method != "S256":
        raise Refusal("invalid_request", "Invalid parameter: code challenge method is not configured one")
    if not CODE_CHALLENGE.fullmatch(auth.code_challenge):
        raise Refusal("invalid_request", "Invalid parameter: code_challenge")


def _redirect(idp: Idp, auth: AuthRequest, **params: str) -> RedirectResponse:
    if auth.state:
        params["state"] = auth.state
    params["iss"] = idp.issuer  # RFC 9207, which Keycloak sends too
    return RedirectResponse(
        _with_query(auth.redirect_uri, params), status_code=302, headers={"Cache-Control": "no-store"}
    )


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _login_form(
    request: Request, idp: Idp, auth: AuthRequest, username: str = "", error: str | None = None
) -> HTMLResponse:
    hidden = {k: v for k, v in asdict(auth).items() if v}
    html = templates.get_template("login.html").render(
        realm=idp.realm.display_name,
        action=request.url.path,
        hidden=hidden,
        username=username,
        error=error,
    )
    return HTMLResponse(html, headers=SECURITY_HEADERS)


def _message(request: Request, idp: Idp, text: str, status: int) -> HTMLResponse:
    html = templates.get_template("message.html").render(realm=idp.realm.display_name, message=text)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


@router.api_route("/realms/{realm}/protocol/openid-connect/logout", methods=["GET", "POST"])
async def logout(request: Request, idp: Annotated[Idp, Depends(current_idp)]) -> Response:
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    if "refresh_token" in params:
        return _end_by_refresh_token(request, idp, params)
    return _end_in_browser(request, idp, params)


def _end_by_refresh_token(request: Request, idp: Idp, params: dict[str, str]) -> Response:
    """A client ending its own session (python-keycloak's ``logout``): answers 204 like Keycloak."""
    client = authenticate_client(idp, request, params)
    claims = refresh_claims(idp, client, params["refresh_token"])
    if claims.get("sid"):
        idp.sessions.end(claims["sid"])
    return Response(status_code=204)


def _end_in_browser(request: Request, idp: Idp, params: dict[str, str]) -> Response:
    """OpenID Connect RP-initiated logout: end the session named by the ID token hint, then go back."""
    claims = None
    if params.get("id_token_hint"):
        try:
            claims = idp.tokens.decode(params["id_token_hint"], "ID", check_expiry=False)
        except InvalidToken:
            return _message(request, idp, "Invalid parameter: id_token_hint", 400)
        if claims.get("sid"):
            idp.sessions.end(claims["sid"])
    target = params.get("post_logout_redirect_uri")
    if not target:
        return _message(request, idp, "You are logged out.", 200)
    client = idp.realm.clients.get(params.get("client_id") or (claims or {}).get("azp", ""))
    if client is None or not client.allows_post_logout_redirect(target):
        return _message(request, idp, "Invalid redirect uri", 400)
    query = {"state": params["state"]} if params.get("state") else {}
    return RedirectResponse(_with_query(target, query), status_code=302)
