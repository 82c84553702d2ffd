"""Bearer-token authentication: verify the realm's access tokens and turn them into a :class:`Principal`.

Every service verifies tokens itself against the realm's published keys (JWKS); nothing calls the
identity provider per request. The same code path serves the real Keycloak and the development
identity provider in ``deploy/devidp``, because both publish keys at Keycloak's paths.

In a service::

    # lifespan: one verifier per process, so the key cache is shared by all requests
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    ...
    await app.state.token_verifier.aclose()

    router = authenticated_router(prefix="/v1/cases")          # every route needs a valid token

    @router.post("", dependencies=[Depends(require_roles(Role.counsellor))])
    async def open_case(principal: CurrentPrincipal) -> ...: ...

All failures are :class:`shared.errors.Unauthorized` (401, with ``WWW-Authenticate``) or
:class:`shared.errors.Forbidden` (403), rendered as problem details by ``shared.errors``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import RSAKey

from shared.errors import Forbidden, ServiceUnavailable, Unauthorized
from shared.settings import ServiceSettings

logger = logging.getLogger("hawkari.auth")

# Keycloak signs access tokens with RS256 by default. Accepting only that rules out "alg": "none",
# HMAC-with-the-public-key confusion and any algorithm we have not reviewed.
ACCEPTED_ALGORITHMS = ("RS256",)
# How long, at most, a verified token is trusted without checking it again, and how many are kept.
VERIFIED_TTL = 300.0
VERIFIED_MAX = 4096


class Role(StrEnum):
    """The realm roles of the ``hawkari`` realm (deploy/keycloak/hawkari-realm.json)."""

    counsellor = "counsellor"
    provider_caseworker = "provider_caseworker"
    provider_admin = "provider_admin"
    funder = "funder"
    steering_admin = "steering_admin"
    platform_admin = "platform_admin"
    data_protection_officer = "data_protection_officer"
    # Service accounts (one confidential client per service) carry this role.
    service = "service"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the access token says."""

    subject: str
    username: str
    org_id: uuid.UUID | None
    roles: frozenset[str]
    client_id: str | None
    # The raw token, so a service can call another one on the user's behalf. Kept out of repr()
    # so it never lands in a log line.
    token: str = field(repr=False)

    def has_role(self, *roles: str) -> bool:
        """True when the principal holds at least one of ``roles``."""
        return any(str(role) in self.roles for role in roles)

    @property
    def is_service(self) -> bool:
        return Role.service in self.roles


def certs_url(issuer: str) -> str:
    """Where a Keycloak realm (``issuer`` is the realm URL) publishes its signing keys."""
    return f"{issuer.rstrip('/')}/protocol/openid-connect/certs"


class TokenVerifier:
    """Verifies access tokens against the realm's JWKS, cached in memory.

    The key set is fetched on first use and kept. A token whose ``kid`` is not in the cache makes
    the verifier fetch the key set again (Keycloak rotated its keys), but at most once per
    ``refetch_interval`` seconds: a flood of tokens with made-up key ids must not turn into a flood
    of requests to the identity provider. The cache is also renewed after ``max_age`` seconds so a
    key Keycloak has removed stops being accepted.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        http: httpx.AsyncClient | None = None,
        *,
        leeway: int = 30,
        refetch_interval: float = 10.0,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Keycloak's issuer never ends in a slash; a configured one that does must still match.
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.jwks_url = jwks_url or certs_url(self.issuer)
        # Clock skew allowed on exp/nbf/iat, in seconds.
        self.leeway = leeway
        self.refetch_interval = refetch_interval
        self.max_age = max_age
        self._clock = clock
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(5.0), transport=httpx.AsyncHTTPTransport(retries=2)
        )
        self._keys: dict[str, RSAKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last attempt, successful or not
        self._lock = asyncio.Lock()
        # Tokens already verified: token -> (principal, valid until (epoch s), key-set generation).
        # A signature check and claim validation cost more than the rest of a small request; a
        # client sends the same token for minutes. An entry dies with the token's exp, after
        # VERIFIED_TTL at most, and as soon as the key set is refetched or goes stale.
        self._verified: dict[str, tuple[Principal, float, float | None]] = {}

    @classmethod
    def from_settings(cls, settings: ServiceSettings, http: httpx.AsyncClient | None = None) -> TokenVerifier:
        """A verifier for a service: keys come from the internal URL when one is configured."""
        key_base = settings.oidc_internal_url or settings.oidc_issuer
        return cls(settings.oidc_issuer, settings.oidc_audience, certs_url(key_base), http)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def verify(self, token: str) -> Principal:
        """The principal the token names, or :class:`Unauthorized` saying what is wrong with it."""
        if not token:
            raise Unauthorized("Missing bearer token.")
        cached = self._verified.get(token)
        if cached is not None:
            principal, valid_until, generation = cached
            if generation == self._fetched_at and time.time() < valid_until and not self._is_stale():
                return principal
            del self._verified[token]
        kid = _signing_key_id(token)
        key = await self._key(kid)
        try:
            claims = jwt.decode(token, key, algorithms=ACCEPTED_ALGORITHMS).claims
        except BadSignatureError:
            raise Unauthorized("The token signature does not verify.") from None
        except (JoseError, ValueError, TypeError):
            raise Unauthorized("The token is malformed.") from None
        self._check_claims(claims)
        principal = _principal(claims, token)
        if len(self._verified) >= VERIFIED_MAX:
            self._verified.clear()
        exp = claims["exp"]
        self._verified[token] = (principal, min(float(exp), time.time() + VERIFIED_TTL), self._fetched_at)
        return principal

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        registry = jwt.JWTClaimsRegistry(
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        # The details below never echo token content: it is attacker-controlled and ends up in a
        # WWW-Authenticate header.
        try:
            registry.validate(dict(claims))
        except ExpiredTokenError:
            raise Unauthorized("The token has expired.") from None
        except MissingClaimError as exc:
            raise Unauthorized(f"The token lacks required claims ({exc.claim}).") from None
        except InvalidClaimError as exc:
            raise Unauthorized(_invalid_claim_detail(exc.claim, self)) from None
        # Keycloak marks access tokens typ=Bearer; its refresh and ID tokens say Refresh and ID.
        typ = claims.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() != "bearer"):
            raise Unauthorized("The token is not an access token.")

    async def _key(self, kid: str) -> RSAKey:
        key = self._keys.get(kid)
        if key is not None and not self._is_stale():
            return key
        async with self._lock:
            # Another request may have refreshed the cache while this one waited for the lock.
            key = self._keys.get(kid)
            if (key is None or self._is_stale()) and self._may_fetch():
                await self._fetch()
                key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("The token was signed with an unknown key.")
        return key

    def _is_stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self.max_age

    def _may_fetch(self) -> bool:
        return self._attempted_at is None or self._clock() - self._attempted_at >= self.refetch_interval

    async def _fetch(self) -> None:
        self._attempted_at = self._clock()
        try:
            response = await self._http.get(self.jwks_url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            if self._keys:
                # Keep verifying with the keys we have; a short outage of the identity provider
                # should not log everybody out.
                logger.warning("could not refresh JWKS from %s: %s", self.jwks_url, exc)
                return
            raise ServiceUnavailable("The identity provider's signing keys cannot be fetched.") from exc
        self._keys = _signing_keys(document)
        self._fetched_at = self._attempted_at
        logger.info("fetched %d signing key(s) from %s", len(self._keys), self.jwks_url)


def _signing_key_id(token: str) -> str:
    """The ``kid`` of a compact JWS, after checking its algorithm. Nothing is trusted yet."""
    try:
        header = jws.extract_compact(token.encode("ascii")).protected
    except (JoseError, ValueError, TypeError):  # UnicodeError and binascii.Error are ValueErrors
        raise Unauthorized("The token is malformed.") from None
    if header.get("alg") not in ACCEPTED_ALGORITHMS:
        raise Unauthorized("The token algorithm is not accepted; only RS256 is.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Unauthorized("The token header names no signing key (kid).")
    return kid


def _signing_keys(document: Any) -> dict[str, RSAKey]:
    """The RS256 signature keys of a JWKS document, by kid. Keycloak also lists encryption keys."""
    keys: dict[str, RSAKey] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not entry.get("kid"):
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") not in ACCEPTED_ALGORITHMS:
            continue
        try:
            keys[str(entry["kid"])] = RSAKey.import_key(entry)
        except (JoseError, ValueError, TypeError) as exc:
            logger.warning("ignoring unusable JWKS key %s: %s", entry.get("kid"), exc)
    return keys


def _invalid_claim_detail(claim: str, verifier: TokenVerifier) -> str:
    if claim == "nbf":
        return "The token is not valid yet."
    if claim == "iat":
        return "The token was issued in the future."
    if claim == "iss":
        return f"The token was not issued by {verifier.issuer}."
    if claim == "aud":
        return f"The token is not meant for audience {verifier.audience}."
    return f"The token has an invalid {claim} claim."


_NO_ROLES: frozenset[str] = frozenset()


def _principal(claims: Mapping[str, Any], token: str) -> Principal:
    subject = str(claims["sub"])
    username = claims.get("preferred_username")
    raw_org = claims.get("org_id")
    try:
        org_id = uuid.UUID(raw_org) if isinstance(raw_org, str) and raw_org else None
    except ValueError:
        raise Unauthorized("The token org_id claim is not a UUID.") from None
    realm_access = claims.get("realm_access")
    raw_roles = realm_access.get("roles") if isinstance(realm_access, dict) else None
    roles = frozenset(r for r in raw_roles if isinstance(r, str)) if isinstance(raw_roles, list) else None
    # azp is the client the token was issued to; Keycloak also writes client_id for service accounts.
    client_id = claims.get("azp") or claims.get("client_id")
    return Principal(
        subject=subject,
        username=username if isinstance(username, str) and username else subject,
        org_id=org_id,
        roles=roles or _NO_ROLES,
        client_id=client_id if isinstance(client_id, str) else None,
        token=token,
    )


def _bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized(
            "Missing bearer token: send an Authorization header with Bearer and an access token.",
            error="invalid_request",
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The Authorization header must carry a Bearer token.", error="invalid_request")
    return token.strip()


class BearerPrincipal(SecurityBase):
    """FastAPI dependency: the verified caller, or a 401.

    It is also the bearer scheme OpenAPI documents, so authentication is one node of each route's
    dependency tree, solved on every request, instead of a scheme object and a function under it.
    The header is parsed here, so that a missing or malformed one is a 401 problem with the
    reason, not FastAPI's generic error.

    FastAPI caches a dependency's result per request, so the router-level check and a route's
    own ``CurrentPrincipal`` verify the token once. Nothing is stored on ``request.state``: some
    servers share that mapping between requests, and a principal must never outlive its request.
    """

    def __init__(self) -> None:
        self.model = HTTPBearerModel(description="An access token of the hawkari realm (Keycloak).")
        self.scheme_name = "bearer"

    async def __call__(self, request: Request) -> Principal:
        verifier = getattr(request.app.state, "token_verifier", None)
        if not isinstance(verifier, TokenVerifier):
            # A wiring mistake in the service, not the caller's fault: let it be a 500.
            raise RuntimeError("app.state.token_verifier is not set; create a TokenVerifier in the lifespan")
        return await verifier.verify(_bearer_token(request.headers.get("authorization")))


current_principal = BearerPrincipal()
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency giving the principal if it holds any of ``roles``, else a 403 naming them."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    # Role(...) rejects a misspelt role when the router is built, not when the first request comes.
    needed = tuple(Role(role).value for role in roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*needed):
            raise Forbidden(
                f"This needs one of these roles: {', '.join(needed)}.", extra={"required_roles": list(needed)}
            )
        return principal

    dependency.__name__ = "require_" + "_or_".join(needed)
    return dependency


def authenticated_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` whose every route needs a valid bearer token: routers are authenticated by default."""
    dependencies = [Depends(current_principal), *(kwargs.pop("dependencies", None) or ())]
    responses: dict[int | str, dict[str, Any]] = {
        401: {"description": "Missing or invalid bearer token (problem details)."},
        403: {"description": "The token lacks a required role (problem details)."},
    }
    responses.update(kwargs.pop("responses", None) or {})
    return APIRouter(dependencies=dependencies, responses=responses, **kwargs)
