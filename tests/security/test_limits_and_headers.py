"""Request size limits, security headers and rate limits, on the real services.

- Every service refuses a body over its limit with 413 problem+json, whether the client declares
  the size or streams it without a Content-Length.
- Every service answers with the API security headers, on success and on error.
- The registry's directory search is rate-limited per caller: 429 problem+json with Retry-After,
  and another caller is not affected.
- The development IdP locks a user out after the realm's failureFactor wrong passwords, like
  Keycloak's brute-force detection that the realm file switches on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from deploy.devidp.testing import issuer_of, running_idp
from shared.middleware import API_SECURITY_HEADERS
from shared.ratelimit import RateLimiter
from shared.testing import RunningServers
from tests.security.stack import ROOT, SERVICES, Running, Stack, Tokens, running_service

# Every service's default limit (HAWKARI_<SERVICE>_MAX_BODY_BYTES).
LIMIT = 1_048_576
# A route of each service that takes a JSON body (any would do: the limit comes first).
BODY_ROUTES = {
    "registry": ("POST", "/v1/organizations"),
    "referrals": ("POST", "/v1/cases"),
    "notifications": ("POST", "/v1/webhooks"),
    "coordination": ("PUT", "/v1/suppression"),
}
EXPECTED_HEADERS = {k.decode(): v.decode() for k, v in API_SECURITY_HEADERS}


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest, stack: Stack) -> Running:
    running = stack[request.param]
    assert running.app.state.settings.max_body_bytes == LIMIT
    return running


def assert_problem(r: httpx.Response, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["type"].startswith("urn:hawkari:problem:")
    return dict(body)


async def test_oversized_bodies_are_413_problems_and_headers_are_on_every_answer(
    service: Running, tokens: Tokens
) -> None:
    method, path = BODY_ROUTES[service.name]
    auth = {"Authorization": f"Bearer {tokens('steering.noraq')}", "Content-Type": "application/json"}
    big = json.dumps({"padding": "x" * (LIMIT + 1024)}).encode()
    declared = await service.http.request(method, path, content=big, headers=auth)
    assert_problem(declared, 413)

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    # No Content-Length: the limit is counted as the body arrives.
    streamed = await service.http.request(method, path, content=chunks(), headers=auth)
    assert "content-length" not in streamed.request.headers
    assert_problem(streamed, 413)
    small = await service.http.request(method, path, content=b"{}", headers=auth)
    assert small.status_code != 413

    answers = [
        declared,
        streamed,
        small,
        await service.http.get("/healthz"),
        await service.http.get("/v1/nothing-here", headers=auth),
        await service.http.get(path if method == "GET" else "/openapi.json"),
        await service.http.request(method, path),  # no token: 401
    ]
    for answer in answers:
        for name, value in EXPECTED_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.request.url, name, answer.headers)


async def test_registry_search_is_rate_limited_per_caller(stack: Stack, tokens: Tokens) -> None:
    registry = stack["registry"]
    limiters = registry.app.state.rate_limiters
    shared_limiter = limiters["search"]
    # The package's registry runs without the limit (the matrix searches in bursts): this test
    # puts the limiter create_app makes from settings in place, with a burst of three.
    limiters["search"] = RateLimiter.per_minute(60, 3)
    try:
        erbil = {"Authorization": f"Bearer {tokens('counsellor.erbil')}"}
        for _ in range(3):
            r = await registry.http.get("/v1/services", params={"q": "psychosocial"}, headers=erbil)
            assert r.status_code == 200, r.text
        refused = await registry.http.get("/v1/services", params={"q": "psychosocial"}, headers=erbil)
        body = assert_problem(refused, 429)
        assert refused.headers["Retry-After"] == "1" and body["retry_after"] == 1
        # The limit is the caller's: a colleague searching at the same time is served.
        baghdad = {"Authorization": f"Bearer {tokens('counsellor.baghdad')}"}
        assert (await registry.http.get("/v1/services", headers=baghdad)).status_code == 200
        # Other reads are not the expensive search and are not limited.
        assert (await registry.http.get("/v1/organizations", headers=erbil)).status_code == 200
    finally:
        limiters["search"] = shared_limiter


def _password_grant(base_url: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{issuer_of(base_url)}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "hawkari-cli",
            "username": username,
            "password": password,
        },
        timeout=10,
    )


def test_the_realm_switches_on_brute_force_protection() -> None:
    for path in (
        ROOT / "deploy/keycloak/hawkari-realm.json",
        ROOT / "deploy/keycloak/dev/hawkari-realm.json",
    ):
        realm = json.loads(path.read_text())
        assert realm["bruteForceProtected"] is True and realm["failureFactor"] <= 10, path


def test_dev_idp_locks_out_after_failure_factor_wrong_passwords(tmp_path: Path) -> None:
    factor = json.loads((ROOT / "deploy/keycloak/dev/hawkari-realm.json").read_text())["failureFactor"]
    # An IdP of this test's own: the lockout must not reach the session's shared one.
    with running_idp(tmp_path) as idp:
        # Failures below the factor, then a success: the count starts again.
        for _ in range(factor - 1):
            assert _password_grant(idp, "funder.fi", "guess").status_code == 401
        assert _password_grant(idp, "funder.fi", "hawkari-demo").status_code == 200
        for _ in range(factor):
            wrong = _password_grant(idp, "funder.fi", "guess")
            assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_grant"
        # Locked out: the right password is refused too, with the same answer as a wrong one.
        locked = _password_grant(idp, "funder.fi", "hawkari-demo")
        assert locked.status_code == 401 and locked.json() == wrong.json()
        # The browser login form refuses it as well.
        form = httpx.post(
            f"{issuer_of(idp)}/protocol/openid-connect/auth",
            data={
                "client_id": "hawkari-portal",
                "redirect_uri": "http://127.0.0.1:8000/auth/callback",
                "response_type": "code",
                "scope": "openid",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
                "username": "funder.fi",
                "password": "hawkari-demo",
            },
            timeout=10,
        )
        assert form.status_code == 200 and "Location" not in form.headers
        assert "Invalid username or password" in form.text
        # Other users are not affected.
        assert _password_grant(idp, "funder.no", "hawkari-demo").status_code == 200


async def test_portal_security_headers_if_the_portal_exists(servers: RunningServers, idp_url: str) -> None:
    """The portal's pages are checked in its browser tests; this asks its first page and a 404."""
    if not (ROOT / "services" / "portal" / "app.py").exists():
        pytest.skip("services/portal/app.py does not exist yet")
    async with running_service("portal", servers, idp_url) as portal:
        for path in ("/", "/no-such-page"):
            r = await portal.http.get(path)
            assert r.headers.get("x-content-type-options") == "nosniff", (path, dict(r.headers))
            csp = r.headers.get("content-security-policy", "")
            assert "frame-ancestors 'none'" in csp and "default-src" in csp, (path, csp)
            assert r.headers.get("referrer-policy"), (path, dict(r.headers))


HUGE = str(2**80)  # beyond PostgreSQL's bigint


@pytest.mark.parametrize(
    ("name", "path", "params", "user"),
    [
        ("registry", "/v1/history", {"page": HUGE}, "steering.noraq"),
        ("registry", "/v1/services", {"page": HUGE}, "counsellor.erbil"),
        ("referrals", "/v1/cases", {"offset": HUGE}, "counsellor.erbil"),
        ("referrals", "/v1/referrals", {"offset": HUGE}, "counsellor.erbil"),
    ],
)
async def test_paging_beyond_bigint_is_a_422_not_a_500(
    name: str, path: str, params: dict[str, str], user: str, stack: Stack, tokens: Tokens
) -> None:
    """Found by schemathesis: such a page or offset reached PostgreSQL and came back a 500."""
    r = await stack[name].http.get(path, params=params, headers={"Authorization": f"Bearer {tokens(user)}"})
    assert_problem(r, 422)
