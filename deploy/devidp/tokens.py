"""Access, ID and refresh tokens laid out the way Keycloak lays them out, and checks of our own tokens."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from deploy.devidp.realm import ATTRIBUTE_MAPPER, AUDIENCE_MAPPER, Client, Realm, User


class InvalidToken(Exception):
    """A token presented back to the IdP (refresh token, ID token hint, access token) is not good."""


@dataclass(frozen=True)
class Grant:
    """What a set of tokens is about: who, through which client, in which login session."""

    user: User
    client: Client
    scope: str
    sid: str | None
    auth_time: int | None = None
    nonce: str | None = None


def granted_scope(requested: str | None) -> str:
    """Keycloak's default client scopes (profile, email) are always granted; openid only on request."""
    asked = set((requested or "").split())
    return " ".join(["openid"] * ("openid" in asked) + ["profile", "email"])


class TokenIssuer:
    def __init__(self, realm: Realm, key: RSAKey, issuer: str, access_lifetime: int, refresh_lifetime: int):
        self.realm = realm
        self.key = key
        self.issuer = issuer
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime

    def token_response(self, grant: Grant, *, refresh: bool = True) -> dict[str, Any]:
        """The token endpoint's answer, field for field as Keycloak sends it."""
        now = int(time.time())
        body: dict[str, Any] = {
            "access_token": self._sign(self.access_claims(grant, now)),
            "expires_in": self.access_lifetime,
            "refresh_expires_in": self.refresh_lifetime if refresh else 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": grant.scope,
        }
        if refresh:
            body["refresh_token"] = self._sign(self._refresh_claims(grant, now))
        if "openid" in grant.scope.split():
            body["id_token"] = self._sign(self._id_claims(grant, now))
        if grant.sid:
            body["session_state"] = grant.sid
        return body

    def access_claims(self, grant: Grant, now: int) -> dict[str, Any]:
        claims = self._common(grant, now, self.access_lifetime, "Bearer")
        audiences = [
            m.config.get("included.custom.audience") or m.config.get("included.client.audience")
            for m in grant.client.mappers
            if m.kind == AUDIENCE_MAPPER and m.applies_to("access")
        ]
        present = [a for a in audiences if a]
        if present:
            # One audience is a string, several a list: Keycloak's serialisation, both legal in RFC 7519.
            claims["aud"] = present[0] if len(present) == 1 else present
        claims["scope"] = grant.scope
        claims["realm_access"] = {"roles": sorted(grant.user.realm_roles)}
        if grant.user.service_account_client_id:
            claims["client_id"] = grant.client.client_id
        claims.update(self.user_claims(grant.user, grant.client, "access"))
        return claims

    def user_claims(self, user: User, client: Client, token: str) -> dict[str, Any]:
        """The profile and email scopes' claims, plus what the client's attribute mappers add."""
        claims: dict[str, Any] = {"preferred_username": user.username, "email_verified": user.email_verified}
        names = [n for n in (user.first_name, user.last_name) if n]
        if names:
            claims["name"] = " ".join(names)
        optional = {
            "given_name": user.first_name,
            "family_name": user.last_name,
            "email": user.email,
            "locale": user.attribute("locale"),
        }
        claims.update({k: v for k, v in optional.items() if v})
        for mapper in client.mappers:
            if mapper.kind == ATTRIBUTE_MAPPER and mapper.applies_to(token):
                value = user.attribute(mapper.config.get("user.attribute", ""))
                if value is not None:
                    claims[mapper.config.get("claim.name", "")] = value
        return claims

    def _id_claims(self, grant: Grant, now: int) -> dict[str, Any]:
        claims = self._common(grant, now, self.access_lifetime, "ID")
        claims["aud"] = grant.client.client_id
        if grant.nonce:
            claims["nonce"] = grant.nonce
        claims.update(self.user_claims(grant.user, grant.client, "id"))
        return claims

    def _refresh_claims(self, grant: Grant, now: int) -> dict[str, Any]:
        # Keycloak signs refresh tokens with a realm HMAC secret; clients treat them as opaque, so
        # signing them with the same RSA key changes nothing for them. The audience is the realm,
        # so no service would take one for an access token.
        claims = self._common(grant, now, self.refresh_lifetime, "Refresh")
        claims["aud"] = self.issuer
        claims["scope"] = grant.scope
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return claims

    def _common(self, grant: Grant, now: int, lifetime: int, typ: str) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "exp": now + lifetime,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "iss": self.issuer,
            "sub": grant.user.id,
            "typ": typ,
            "azp": grant.client.client_id,
        }
        if grant.auth_time is not None:
            claims["auth_time"] = grant.auth_time
        if grant.sid:
            claims["sid"] = grant.sid
        return claims

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key, algorithms=["RS256"])

    def decode(self, token: str, typ: str, *, check_expiry: bool = True) -> dict[str, Any]:
        """Claims of a token this IdP issued with type ``typ``; :class:`InvalidToken` otherwise."""
        try:
            claims = jwt.decode(token, self.key, algorithms=["RS256"]).claims
            options: dict[str, Any] = {"iss": {"essential": True, "value": self.issuer}}
            if check_expiry:
                options["exp"] = {"essential": True}
            else:
                claims.pop("exp", None)  # an expired ID token is still a fine logout hint
            jwt.JWTClaimsRegistry(leeway=0, **options).validate(claims)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidToken(str(exc)) from None
        if claims.get("typ") != typ or not isinstance(claims.get("sub"), str):
            raise InvalidToken(f"not a {typ} token")
        return claims
