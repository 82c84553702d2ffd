"""The development IdP behaves like Keycloak for the clients Hawkari uses.

python-keycloak is the reference client: if it can log in, refresh, read userinfo and validate
tokens against the published keys, the services and the portal can too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from deploy.devidp import IdpSettings, create_app
from deploy.devidp.testing import KEY_FILE_NAME, issuer_of, running_idp

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "hawkari-demo"
OIDC = "/realms/hawkari/protocol/openid-connect"
PORTAL_AUTH = ("hawkari-portal", "dev-hawkari-portal-secret")
CALLBACK = "http://127.0.0.1:8000/auth/callback"
SERVICE_CLIENTS = [
    "hawkari-registry",
    "hawkari-referrals",
    "hawkari-notifications",
    "hawkari-coordination",
    "hawkari-portal",
]
DEMO_USERS = {
    "counsellor.erbil": ("counsellor", "mrc-erbil"),
    "counsellor.sulaymaniyah": ("counsellor", "mrc-sulaymaniyah"),
    "counsellor.baghdad": ("counsellor", "mrc-baghdad"),
    "caseworker.rwanga": ("provider_caseworker", "rwanga"),
    "caseworker.ettc": ("provider_caseworker", "ettc"),
    "admin.rwanga": ("provider_admin", "rwanga"),
    "funder.se": ("funder", "funder-se"),
    "funder.no": ("funder", "funder-no"),
    "funder.dk": ("funder", "funder-dk"),
    "funder.fi": ("funder", "funder-fi"),
    "steering.noraq": ("steering_admin", "noraq-steering"),
    "admin.platform": ("platform_admin", "hawkari-platform"),
    "dpo.noraq": ("data_protection_officer", "noraq-steering"),
}


def org_id(slug: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:" + slug))


def keycloak(idp_url: str, client_id: str = "hawkari-cli", secret: str | None = None) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=idp_url + "/", realm_name="hawkari", client_id=client_id, client_secret_key=secret
    )


def header_of(token: str) -> dict[str, str]:
    segment = token.split(".")[0]
    header: dict[str, str] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return header


# --- discovery and keys ------------------------------------------------------------------------


def test_discovery_names_keycloak_paths(idp_url: str) -> None:
    issuer = issuer_of(idp_url)
    document = keycloak(idp_url).well_known()
    assert document["issuer"] == issuer
    for name in ("token", "auth", "userinfo", "logout", "certs"):
        assert f"{issuer}/protocol/openid-connect/{name}" in document.values()
    assert document["code_challenge_methods_supported"] == ["S256"]
    certs = keycloak(idp_url).certs()
    assert [(k["kty"], k["alg"], k["use"]) for k in certs["keys"]] == [("RSA", "RS256", "sig")]
    assert "d" not in certs["keys"][0], "the private exponent must never be published"


def test_unknown_realm_is_404(idp_url: str) -> None:
    response = httpx.get(f"{idp_url}/realms/master/.well-known/openid-configuration")
    assert response.status_code == 404


# --- password grant, refresh, userinfo, logout -------------------------------------------------


def test_password_grant_gives_keycloak_shaped_tokens(idp_url: str) -> None:
    kc = keycloak(idp_url)
    tokens = kc.token("counsellor.erbil", PASSWORD)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 300
    claims = kc.decode_token(tokens["access_token"])  # signature and expiry checked against /certs
    assert claims["iss"] == issuer_of(idp_url)
    assert claims["aud"] == "hawkari-api"
    assert claims["typ"] == "Bearer" and claims["azp"] == "hawkari-cli"
    assert claims["sub"] == str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-user:counsellor.erbil"))
    assert claims["realm_access"] == {"roles": ["counsellor"]}
    assert claims["preferred_username"] == "counsellor.erbil"
    assert claims["org_id"] == org_id("mrc-erbil")
    assert claims["email"] == "counsellor.erbil@demo.hawkari.invalid"
    assert claims["locale"] == "ckb" and claims["name"] == f"{claims['given_name']} {claims['family_name']}"
    assert claims["exp"] - claims["iat"] == 300 and claims["jti"] and claims["sid"]
    assert "openid" in claims["scope"].split()
    assert header_of(tokens["access_token"])["kid"] in {k["kid"] for k in kc.certs()["keys"]}
    id_claims = kc.decode_token(tokens["id_token"])
    assert id_claims["typ"] == "ID" and id_claims["aud"] == "hawkari-cli"


@pytest.mark.parametrize(("username", "role_and_org"), DEMO_USERS.items())
def test_every_demo_user_logs_in_with_role_and_org(
    idp_url: str, username: str, role_and_org: tuple[str, str]
) -> None:
    kc = keycloak(idp_url)
    claims = kc.decode_token(kc.token(username, PASSWORD)["access_token"])
    role, slug = role_and_org
    assert claims["realm_access"]["roles"] == [role]
    assert claims["org_id"] == org_id(slug)
    assert claims["locale"] in {"en", "ar", "ckb"}


def test_wrong_password_is_401_invalid_grant(idp_url: str) -> None:
    with pytest.raises(KeycloakAuthenticationError) as refused:
        keycloak(idp_url).token("counsellor.erbil", "not-the-password")
    assert refused.value.response_code == 401
    assert json.loads(refused.value.response_body or b"{}")["error"] == "invalid_grant"


def test_refresh_userinfo_and_logout(idp_url: str) -> None:
    kc = keycloak(idp_url)
    first = kc.token("caseworker.rwanga", PASSWORD)
    refreshed = kc.refresh_token(first["refresh_token"])
    claims = kc.decode_token(refreshed["access_token"])
    assert claims["preferred_username"] == "caseworker.rwanga"
    assert claims["sid"] == kc.decode_token(first["access_token"])["sid"], "refresh keeps the login session"
    assert refreshed["access_token"] != first["access_token"]

    info = kc.userinfo(refreshed["access_token"])
    assert isinstance(info, dict)
    assert info["sub"] == claims["sub"] and info["org_id"] == org_id("rwanga")
    assert info["preferred_username"] == "caseworker.rwanga"

    kc.logout(refreshed["refresh_token"])
    with pytest.raises(KeycloakPostError) as ended:
        kc.refresh_token(refreshed["refresh_token"])
    assert ended.value.response_code == 400
    assert json.loads(ended.value.response_body or b"{}")["error"] == "invalid_grant"
    after = httpx.get(
        f"{idp_url}{OIDC}/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert after.status_code == 401 and after.headers["WWW-Authenticate"].startswith("Bearer")


def test_refresh_token_of_another_client_is_refused(idp_url: str) -> None:
    tokens = keycloak(idp_url).token("funder.se", PASSWORD)
    response = httpx.post(
        f"{idp_url}{OIDC}/token",
        auth=PORTAL_AUTH,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


# --- service accounts ---------------------------------------------------------------------------


@pytest.mark.parametrize("client_id", SERVICE_CLIENTS)
def test_client_credentials_for_each_service(idp_url: str, client_id: str) -> None:
    kc = keycloak(idp_url, client_id, f"dev-{client_id}-secret")
    tokens = kc.token(grant_type="client_credentials")
    assert "refresh_token" not in tokens, "Keycloak gives service accounts no refresh token"
    claims = kc.decode_token(tokens["access_token"])
    assert claims["preferred_username"] == f"service-account-{client_id}"
    assert claims["realm_access"]["roles"] == ["service"]
    assert claims["aud"] == "hawkari-api" and claims["azp"] == client_id
    assert "org_id" not in claims


def test_client_secret_by_basic_auth_and_wrong_secret(idp_url: str) -> None:
    good = httpx.post(
        f"{idp_url}{OIDC}/token",
        data={"grant_type": "client_credentials"},
        auth=("hawkari-referrals", "dev-hawkari-referrals-secret"),
    )
    assert good.status_code == 200 and good.headers["Cache-Control"] == "no-store"
    bad = httpx.post(
        f"{idp_url}{OIDC}/token",
        data={"grant_type": "client_credentials"},
        auth=("hawkari-referrals", "dev-hawkari-registry-secret"),
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials", "client_id": "hawkari-cli"}, None, 400, "unauthorized_client"),
        (
            {"grant_type": "password", "username": "counsellor.erbil", "password": PASSWORD},
            PORTAL_AUTH,
            400,
            "unauthorized_client",
        ),
        ({"grant_type": "implicit", "client_id": "hawkari-cli"}, None, 400, "unsupported_grant_type"),
        (
            {"grant_type": "password", "client_id": "nobody", "username": "x", "password": "y"},
            None,
            401,
            "invalid_client",
        ),
    ],
    ids=[
        "public-client-no-service-account",
        "portal-no-password-grant",
        "unsupported-grant",
        "unknown-client",
    ],
)
def test_token_endpoint_errors(
    idp_url: str, data: dict[str, str], auth: tuple[str, str] | None, status: int, error: str
) -> None:
    response = httpx.post(f"{idp_url}{OIDC}/token", data=data, auth=auth)
    assert (response.status_code, response.json()["error"]) == (status, error)


# --- authorization code with PKCE ---------------------------------------------------------------


class _Form(HTMLParser):
    """The login form's action and fields, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.labels: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = attributes["action"]
        elif tag == "input":
            self.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "label":
            self.labels.add(attributes.get("for", ""))
        self.urls += [attributes[k] for k in ("src", "href") if k in attributes]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(http: httpx.Client, challenge: str | None, redirect_uri: str = CALLBACK) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": "hawkari-portal",
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "state-123",
        "nonce": "nonce-456",
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return http.get(f"{OIDC}/auth", params=params)


def submit(http: httpx.Client, page: httpx.Response, username: str, password: str) -> httpx.Response:
    form = _Form()
    form.feed(page.text)
    return http.post(form.action, data={**form.fields, "username": username, "password": password})


def log_in(http: httpx.Client, challenge: str) -> str:
    """A fresh authorization code for counsellor.baghdad."""
    redirect = submit(http, authorize(http, challenge), "counsellor.baghdad", PASSWORD)
    assert redirect.status_code == 302, redirect.text
    return parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]


def exchange(
    http: httpx.Client, code: str, verifier: str | None, redirect_uri: str = CALLBACK
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    return http.post(f"{OIDC}/token", data=data, auth=PORTAL_AUTH)


def test_authorization_code_flow_with_pkce(idp_url: str) -> None:
    verifier, challenge = pkce()
    with httpx.Client(base_url=idp_url) as http:
        page = authorize(http, challenge)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        form = _Form()
        form.feed(page.text)
        assert {"username", "password"} <= form.labels, "every input has a label"
        assert "<script" not in page.text.lower() and "style=" not in page.text
        assert all(url.startswith("/") for url in form.urls), "no external resources"
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]

        wrong = submit(http, page, "counsellor.baghdad", "guess")
        assert wrong.status_code == 200 and "Location" not in wrong.headers
        assert 'role="alert"' in wrong.text and "Invalid username or password" in wrong.text

        redirect = submit(http, wrong, "counsellor.baghdad", PASSWORD)
        assert redirect.status_code == 302
        location = urlsplit(redirect.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
        query = parse_qs(location.query)
        assert query["state"] == ["state-123"] and query["iss"] == [issuer_of(idp_url)]

        tokens = exchange(http, query["code"][0], verifier)
        assert tokens.status_code == 200, tokens.text
        portal = keycloak(idp_url, *PORTAL_AUTH)
        claims = portal.decode_token(tokens.json()["access_token"])
        assert claims["azp"] == "hawkari-portal" and claims["preferred_username"] == "counsellor.baghdad"
        assert claims["org_id"] == org_id("mrc-baghdad") and claims["aud"] == "hawkari-api"
        assert portal.decode_token(tokens.json()["id_token"])["nonce"] == "nonce-456"
        assert portal.refresh_token(tokens.json()["refresh_token"])["access_token"]

        reused = exchange(http, query["code"][0], verifier)
        assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_code_exchange_needs_the_right_verifier_and_redirect_uri(idp_url: str) -> None:
    verifier, challenge = pkce()
    with httpx.Client(base_url=idp_url) as http:
        wrong_verifier = exchange(http, log_in(http, challenge), pkce()[0])
        assert wrong_verifier.status_code == 400 and "PKCE" in wrong_verifier.json()["error_description"]
        no_verifier = exchange(http, log_in(http, challenge), None)
        assert no_verifier.status_code == 400 and no_verifier.json()["error"] == "invalid_grant"
        other_redirect = exchange(http, log_in(http, challenge), verifier, "http://127.0.0.1:8000/elsewhere")
        assert other_redirect.status_code == 400 and other_redirect.json()["error"] == "invalid_grant"
        assert exchange(http, log_in(http, challenge), verifier).status_code == 200


def test_portal_login_without_pkce_is_refused_at_the_redirect_uri(idp_url: str) -> None:
    with httpx.Client(base_url=idp_url) as http:
        response = authorize(http, challenge=None)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["state-123"]


def test_unregistered_redirect_uri_is_never_followed(idp_url: str) -> None:
    with httpx.Client(base_url=idp_url) as http:
        response = authorize(http, pkce()[1], redirect_uri="http://127.0.0.1:8000.evil.example/cb")
    assert response.status_code == 400 and "Location" not in response.headers


def test_browser_logout_returns_to_the_portal(idp_url: str) -> None:
    verifier, challenge = pkce()
    with httpx.Client(base_url=idp_url) as http:
        tokens = exchange(http, log_in(http, challenge), verifier).json()
        response = http.get(
            f"{OIDC}/logout",
            params={
                "id_token_hint": tokens["id_token"],
                "state": "bye",
                "post_logout_redirect_uri": "http://127.0.0.1:8000/",
            },
        )
        assert (
            response.status_code == 302 and response.headers["Location"] == "http://127.0.0.1:8000/?state=bye"
        )
        again = http.post(
            f"{OIDC}/token",
            auth=PORTAL_AUTH,
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )
        assert again.status_code == 400, "the session ended"


# --- lifecycle ----------------------------------------------------------------------------------


def test_tokens_survive_a_restart(tmp_path: Path) -> None:
    with running_idp(tmp_path) as first_url:
        tokens = keycloak(first_url).token("funder.no", PASSWORD)
    assert (tmp_path / KEY_FILE_NAME).stat().st_mode & 0o077 == 0, "only the owner may read the key"
    port = urlsplit(first_url).port
    with running_idp(tmp_path, port=port) as second_url:
        kc = keycloak(second_url)
        assert kc.decode_token(tokens["access_token"])["preferred_username"] == "funder.no"
        assert kc.refresh_token(tokens["refresh_token"])["access_token"]


def test_refuses_to_start_in_production(tmp_path: Path) -> None:
    key_file = tmp_path / "key.json"
    with pytest.raises(RuntimeError, match="refuses to start"):
        create_app(IdpSettings(environment="production", key_file=key_file))
    assert not key_file.exists(), "it refused before doing anything"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_module(tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    variables = {**os.environ, "HAWKARI_IDP_KEY_FILE": str(tmp_path / "key.json"), **env}
    return subprocess.Popen(
        [sys.executable, "-m", "deploy.devidp"],
        cwd=REPO,
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_command_refuses_production(tmp_path: Path) -> None:
    process = _run_module(tmp_path, HAWKARI_IDP_ENVIRONMENT="production")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode != 0 and "refuses to start" in stderr


def test_command_serves_the_realm(tmp_path: Path) -> None:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = _run_module(
        tmp_path,
        HAWKARI_IDP_PORT=str(port),  # the issuer follows the port when no public URL is set
        HAWKARI_IDP_ENVIRONMENT="development",
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                document = httpx.get(f"{base_url}/realms/hawkari/.well-known/openid-configuration").json()
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "python -m deploy.devidp did not start"
                time.sleep(0.1)
        assert document["issuer"] == issuer_of(base_url)
        assert (tmp_path / "key.json").exists(), "the signing key is kept in the key file"
    finally:
        process.terminate()
        process.communicate(timeout=10)
