"""shared.auth against a real development IdP: what passes, what is refused, and why.

Tokens come from the running IdP. Tokens that must fail one specific check are signed with the
IdP's own key (read from its key file) so that every other check passes; tokens that must fail
the signature check are signed with keys generated here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import Depends, FastAPI
from joserfc import jwt
from joserfc.jwk import RSAKey

from deploy.devidp.testing import KEY_FILE_NAME, issuer_of, password_token, running_idp
from shared.auth import (
    CurrentPrincipal,
    Principal,
    Role,
    TokenVerifier,
    authenticated_router,
    require_roles,
)
from shared.errors import PROBLEM_CONTENT_TYPE, install_problem_handlers
from shared.settings import ServiceSettings

PASSWORD = "hawkari-demo"


@pytest.fixture(scope="module")
def idp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("auth-idp")


@pytest.fixture(scope="module")
def idp_url(idp_dir: Path) -> Iterator[str]:
    with running_idp(idp_dir) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def idp_key(idp_url: str, idp_dir: Path) -> RSAKey:
    """The running IdP's private key, to sign tokens that differ from real ones in one claim only."""
    return RSAKey.import_key(json.loads((idp_dir / KEY_FILE_NAME).read_text()))


async def user_token(idp_url: str, username: str) -> str:
    return await password_token(idp_url, username, PASSWORD)


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def sign(claims: dict[str, Any], key: RSAKey, kid: str | None = None, **header: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": kid or key.kid, **header}, claims, key)


def hmac_forgery(claims: dict[str, Any], key: RSAKey) -> str:
    """The classic algorithm-confusion attack: HS256 keyed with the realm's *public* key.

    joserfc refuses to build this on purpose, so it is put together by hand.
    """

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = json.dumps({"alg": "HS256", "kid": key.kid}).encode()
    signing_input = f"{b64(header)}.{b64(json.dumps(claims).encode())}"
    mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def make_app(verifier: TokenVerifier) -> FastAPI:
    """A service in miniature: problem handlers, a verifier from the lifespan, an authenticated router."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.token_verifier = verifier
        yield
        await verifier.aclose()

    app = FastAPI(lifespan=lifespan)
    install_problem_handlers(app)
    router = authenticated_router(prefix="/v1")

    @router.get("/whoami")
    async def whoami(principal: CurrentPrincipal) -> dict[str, Any]:
        return {
            "subject": principal.subject,
            "username": principal.username,
            "org_id": str(principal.org_id),
            "roles": sorted(principal.roles),
            "client_id": principal.client_id,
        }

    @router.get("/cases", dependencies=[Depends(require_roles(Role.counsellor))])
    async def cases() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/coverage")
    async def coverage(
        principal: Annotated[Principal, Depends(require_roles(Role.funder, Role.steering_admin))],
    ) -> dict[str, str]:
        return {"username": principal.username}

    app.include_router(router)
    return app


@asynccontextmanager
async def serving(verifier: TokenVerifier) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(verifier)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://service"
        ) as client,
    ):
        yield client


def counting_http(fetches: list[str]) -> httpx.AsyncClient:
    """An HTTP client that records every request the verifier makes (to count JWKS fetches)."""

    async def record(request: httpx.Request) -> None:
        fetches.append(str(request.url))

    return httpx.AsyncClient(event_hooks={"request": [record]})


@pytest.fixture
async def service(idp_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(TokenVerifier(issuer_of(idp_url), "hawkari-api")) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- accepted -----------------------------------------------------------------------------------


async def test_valid_token_with_role_is_served(idp_url: str, service: httpx.AsyncClient) -> None:
    token = await user_token(idp_url, "counsellor.sulaymaniyah")
    assert (await service.get("/v1/cases", headers=bearer(token))).json() == {"ok": True}
    me = (await service.get("/v1/whoami", headers=bearer(token))).json()
    claims = claims_of(token)
    assert me == {
        "subject": claims["sub"],
        "username": "counsellor.sulaymaniyah",
        "org_id": claims["org_id"],
        "roles": ["counsellor"],
        "client_id": "hawkari-cli",
    }


async def test_any_of_the_roles_is_enough(idp_url: str, service: httpx.AsyncClient) -> None:
    for username in ("funder.dk", "steering.noraq"):
        response = await service.get("/v1/coverage", headers=bearer(await user_token(idp_url, username)))
        assert response.json() == {"username": username}


async def test_service_account_token_is_a_principal_without_org(
    idp_url: str, service: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{issuer_of(idp_url)}/protocol/openid-connect/token",
            data={"grant_type": "client_credentials"},
            auth=("hawkari-notifications", "dev-hawkari-notifications-secret"),
        )
    me = (await service.get("/v1/whoami", headers=bearer(response.json()["access_token"]))).json()
    assert (
        me["roles"] == ["service"] and me["org_id"] == "None" and me["client_id"] == "hawkari-notifications"
    )


async def test_audience_may_be_a_list(idp_url: str, idp_key: RSAKey, service: httpx.AsyncClient) -> None:
    claims = claims_of(await user_token(idp_url, "counsellor.erbil")) | {"aud": ["account", "hawkari-api"]}
    assert (await service.get("/v1/cases", headers=bearer(sign(claims, idp_key)))).status_code == 200


# --- refused ------------------------------------------------------------------------------------


async def test_token_without_the_role_is_403(idp_url: str, service: httpx.AsyncClient) -> None:
    response = await service.get("/v1/cases", headers=bearer(await user_token(idp_url, "funder.fi")))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["type"] == "urn:hawkari:problem:forbidden" and "counsellor" in body["detail"]
    assert body["required_roles"] == ["counsellor"]


async def _refusals(idp_url: str, idp_key: RSAKey) -> dict[str, tuple[dict[str, str], str]]:
    """Requests that must be refused with 401, and a word the reason must contain."""
    real = await user_token(idp_url, "counsellor.erbil")
    claims = claims_of(real)
    now = int(time.time())
    stranger = RSAKey.generate_key(2048, auto_kid=True)
    header, _, signature = real.split(".")
    forged = (
        base64.urlsafe_b64encode(
            json.dumps(claims | {"realm_access": {"roles": ["platform_admin"]}}).encode()
        )
        .rstrip(b"=")
        .decode()
    )
    unsigned_header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"x"}').rstrip(b"=").decode()
    return {
        "missing": ({}, "Missing bearer token"),
        "not bearer": ({"Authorization": "Basic Zm9vOmJhcg=="}, "Bearer"),
        "garbage": (bearer("not-a-jwt"), "malformed"),
        "expired": (bearer(sign(claims | {"exp": now - 120, "iat": now - 420}, idp_key)), "expired"),
        "not yet valid": (bearer(sign(claims | {"nbf": now + 600}, idp_key)), "not valid yet"),
        "issued in the future": (bearer(sign(claims | {"iat": now + 600}, idp_key)), "future"),
        "other issuer": (
            bearer(sign(claims | {"iss": "http://127.0.0.1:9/realms/other"}, idp_key)),
            "issued by",
        ),
        "other audience": (bearer(sign(claims | {"aud": "someone-else"}, idp_key)), "audience"),
        "no audience": (bearer(sign({k: v for k, v in claims.items() if k != "aud"}, idp_key)), "aud"),
        "refresh token": (bearer(sign(claims | {"typ": "Refresh"}, idp_key)), "not an access token"),
        "org_id not a uuid": (bearer(sign(claims | {"org_id": "mrc-erbil"}, idp_key)), "org_id"),
        "unknown key": (bearer(sign(claims, stranger)), "unknown key"),
        "wrong key, right kid": (bearer(sign(claims, stranger, kid=idp_key.kid)), "signature"),
        "tampered payload": (bearer(f"{header}.{forged}.{signature}"), "signature"),
        "alg none": (bearer(f"{unsigned_header}.{forged}."), "algorithm"),
        "alg HS256": (bearer(hmac_forgery(claims, idp_key)), "algorithm"),
    }


async def test_bad_tokens_are_401_problems(idp_url: str, idp_key: RSAKey, service: httpx.AsyncClient) -> None:
    for case, (headers, reason) in (await _refusals(idp_url, idp_key)).items():
        response = await service.get("/v1/whoami", headers=headers)
        assert response.status_code == 401, case
        assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE, case
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="hawkari", error='), case
        body = response.json()
        assert body["type"] == "urn:hawkari:problem:unauthorized", case
        assert reason in body["detail"], (case, body["detail"])


# --- the key cache ------------------------------------------------------------------------------


async def test_unknown_kid_refetches_the_jwks_at_most_once_per_interval(tmp_path: Path) -> None:
    """Rotate the IdP's key by restarting it on the same port with a new key file."""
    fetches: list[str] = []
    now = [0.0]
    with ExitStack() as first_idp:
        url = first_idp.enter_context(running_idp(tmp_path / "first-key"))
        verifier = TokenVerifier(
            issuer_of(url),
            "hawkari-api",
            http=counting_http(fetches),
            refetch_interval=10,
            clock=lambda: now[0],
        )
        async with serving(verifier) as service:
            old_token = await user_token(url, "admin.rwanga")
            assert (await service.get("/v1/whoami", headers=bearer(old_token))).status_code == 200
            assert (await service.get("/v1/whoami", headers=bearer(old_token))).status_code == 200
            assert len(fetches) == 1, "the key set is cached"

            first_idp.close()
            with running_idp(tmp_path / "second-key", port=httpx.URL(url).port) as same_url:
                assert same_url == url
                new_token = await user_token(url, "admin.rwanga")
                assert claims_of(new_token)["iss"] == claims_of(old_token)["iss"]

                # Just fetched: a new kid does not make it fetch again yet.
                assert (await service.get("/v1/whoami", headers=bearer(new_token))).status_code == 401
                assert len(fetches) == 1
                now[0] = 11
                assert (await service.get("/v1/whoami", headers=bearer(new_token))).status_code == 200
                assert len(fetches) == 2, "an unknown kid triggered one refetch"

                # The old key is gone from the realm, so its tokens are refused now.
                assert (await service.get("/v1/whoami", headers=bearer(old_token))).status_code == 401
                # A storm of made-up key ids costs the IdP nothing.
                stranger = RSAKey.generate_key(2048)
                for n in range(20):
                    fake = sign(claims_of(new_token), stranger, kid=f"made-up-{n}")
                    assert (await service.get("/v1/whoami", headers=bearer(fake))).status_code == 401
                assert len(fetches) == 2
                now[0] = 22
                assert (await service.get("/v1/whoami", headers=bearer(fake))).status_code == 401
                assert len(fetches) == 3, "one more attempt once the interval has passed"
    assert all(f == f"{issuer_of(url)}/protocol/openid-connect/certs" for f in fetches)


async def test_key_set_is_renewed_after_max_age(idp_url: str) -> None:
    fetches: list[str] = []
    now = [0.0]
    verifier = TokenVerifier(
        issuer_of(idp_url), "hawkari-api", http=counting_http(fetches), max_age=3600, clock=lambda: now[0]
    )
    token = await user_token(idp_url, "dpo.noraq")
    await verifier.verify(token)
    await verifier.verify(token)
    now[0] = 3601
    principal = await verifier.verify(token)
    assert len(fetches) == 2 and principal.has_role(Role.data_protection_officer)
    await verifier.aclose()


async def test_unreachable_idp_is_503_not_401(idp_url: str) -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    closed = "http://127.0.0.1:9/realms/hawkari/protocol/openid-connect/certs"
    async with serving(TokenVerifier(issuer_of(idp_url), "hawkari-api", jwks_url=closed)) as service:
        response = await service.get("/v1/whoami", headers=bearer(await user_token(idp_url, "funder.se")))
    assert response.status_code == 503 and response.headers["Retry-After"]


# --- wiring -------------------------------------------------------------------------------------


def test_from_settings_fetches_keys_from_the_internal_url() -> None:
    settings = ServiceSettings(
        oidc_issuer="http://127.0.0.1:8080/realms/hawkari",
        oidc_internal_url="http://keycloak:8080/realms/hawkari",
    )
    verifier = TokenVerifier.from_settings(settings)
    assert verifier.issuer == "http://127.0.0.1:8080/realms/hawkari"
    assert verifier.jwks_url == "http://keycloak:8080/realms/hawkari/protocol/openid-connect/certs"
    assert verifier.audience == "hawkari-api"


def test_misspelt_role_fails_when_the_route_is_declared() -> None:
    with pytest.raises(ValueError, match="councellor"):
        require_roles("councellor")


def test_openapi_documents_the_bearer_scheme(idp_url: str) -> None:
    schema = make_app(TokenVerifier(issuer_of(idp_url), "hawkari-api")).openapi()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert schema["paths"]["/v1/cases"]["get"]["security"] == [{"bearer": []}]


def test_principal_repr_hides_the_token() -> None:
    principal = Principal("s", "u", None, frozenset({"funder"}), "hawkari-cli", token="secret-token")
    assert "secret-token" not in repr(principal)
    assert principal.has_role(Role.funder, Role.counsellor) and not principal.has_role(Role.counsellor)
