"""Reads a Keycloak realm import directory into the few facts the development IdP needs.

The directory follows Keycloak's own import layout (what ``kc.sh start-dev --import-realm`` reads
from ``/opt/keycloak/data/import``): one ``<realm>-realm.json`` and any ``<realm>-users-<n>.json``.
Only the parts of Keycloak's representation that change what a token says are interpreted; the
rest (themes, brute-force settings, the user profile) is Keycloak's business.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger("hawkari.devidp")

# The protocol mappers whose effect the IdP reproduces; any other one is reported at start.
AUDIENCE_MAPPER = "oidc-audience-mapper"
ATTRIBUTE_MAPPER = "oidc-usermodel-attribute-mapper"


@dataclass(frozen=True)
class Mapper:
    kind: str
    config: Mapping[str, str]

    def applies_to(self, token: str) -> bool:
        """Whether the mapper writes into ``token`` ("access", "id" or "userinfo")."""
        return self.config.get(f"{token}.token.claim", "false") == "true"


@dataclass(frozen=True)
class Client:
    client_id: str
    enabled: bool
    public: bool
    secret: str | None
    standard_flow: bool
    direct_access_grants: bool
    service_accounts: bool
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    pkce_method: str | None
    mappers: tuple[Mapper, ...]

    def allows_redirect(self, uri: str) -> bool:
        return _matches(uri, self.redirect_uris)

    def allows_post_logout_redirect(self, uri: str) -> bool:
        return _matches(uri, self.post_logout_redirect_uris)


@dataclass(frozen=True)
class User:
    id: str
    username: str
    enabled: bool
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    email_verified: bool = False
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    realm_roles: frozenset[str] = frozenset()
    password: str | None = None
    service_account_client_id: str | None = None

    def attribute(self, name: str) -> str | None:
        values = self.attributes.get(name) or ()
        return values[0] if values else None

    def password_matches(self, password: str) -> bool:
        # Constant-time, so response timing does not reveal how much of a password was right.
        return self.password is not None and hmac.compare_digest(password.encode(), self.password.encode())


@dataclass(frozen=True)
class BruteForcePolicy:
    """Keycloak's brute-force detection settings, with Keycloak's defaults."""

    enabled: bool = False
    permanent_lockout: bool = False
    failure_factor: int = 30
    wait_increment_seconds: int = 60
    max_failure_wait_seconds: int = 900
    max_delta_time_seconds: int = 43200

    @classmethod
    def of(cls, rep: Mapping[str, Any]) -> BruteForcePolicy:
        return cls(
            enabled=bool(rep.get("bruteForceProtected", False)),
            permanent_lockout=bool(rep.get("permanentLockout", False)),
            failure_factor=int(rep.get("failureFactor", 30)),
            wait_increment_seconds=int(rep.get("waitIncrementSeconds", 60)),
            max_failure_wait_seconds=int(rep.get("maxFailureWaitSeconds", 900)),
            max_delta_time_seconds=int(rep.get("maxDeltaTimeSeconds", 43200)),
        )


@dataclass(frozen=True)
class Realm:
    name: str
    display_name: str
    roles: frozenset[str]
    clients: Mapping[str, Client]
    users: tuple[User, ...]
    brute_force: BruteForcePolicy = BruteForcePolicy()

    def user_by_login(self, login: str) -> User | None:
        """The person logging in by username or e-mail (Keycloak's loginWithEmailAllowed)."""
        needle = login.strip().lower()
        for user in self.users:
            is_person = user.service_account_client_id is None
            if is_person and needle in (user.username, (user.email or "").lower()):
                return user
        return None

    def user_by_id(self, user_id: str) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)

    def service_account(self, client_id: str) -> User:
        """The client's service-account user; Keycloak creates one with no roles when the file has none."""
        for user in self.users:
            if user.service_account_client_id == client_id:
                return user
        return User(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:hawkari:service-account:{client_id}")),
            username=f"service-account-{client_id}",
            enabled=True,
            service_account_client_id=client_id,
        )


def load_realm(realm_dir: Path) -> Realm:
    """The realm of an import directory, with its users files merged in, as Keycloak imports it."""
    realm_files = sorted(realm_dir.glob("*-realm.json"))
    if len(realm_files) != 1:
        raise ValueError(f"{realm_dir} must hold exactly one <realm>-realm.json, found {len(realm_files)}")
    rep = _read(realm_files[0])
    name = str(rep["realm"])
    users = [_user(u) for u in rep.get("users") or []]
    pattern = re.compile(rf"{re.escape(name)}-users-\d+\.json")
    for path in sorted(p for p in realm_dir.iterdir() if pattern.fullmatch(p.name)):
        users_rep = _read(path)
        if users_rep.get("realm", name) != name:
            raise ValueError(f"{path} holds users of realm {users_rep.get('realm')!r}, not {name!r}")
        users.extend(_user(u) for u in users_rep.get("users") or [])
    roles = frozenset(r["name"] for r in (rep.get("roles") or {}).get("realm") or [])
    clients = {c.client_id: c for c in (_client(c) for c in rep.get("clients") or [])}
    _check(name, roles, clients, users)
    return Realm(
        name, str(rep.get("displayName") or name), roles, clients, tuple(users), BruteForcePolicy.of(rep)
    )


def _read(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    return data


def _client(rep: Mapping[str, Any]) -> Client:
    attributes = rep.get("attributes") or {}
    redirects = tuple(rep.get("redirectUris") or ())
    post_logout = tuple(u for u in str(attributes.get("post.logout.redirect.uris", "")).split("##") if u)
    # Keycloak's "+" means "the same as the login redirect URIs".
    if post_logout == ("+",):
        post_logout = redirects
    mappers = tuple(
        Mapper(str(m.get("protocolMapper")), {k: str(v) for k, v in (m.get("config") or {}).items()})
        for m in rep.get("protocolMappers") or []
    )
    for mapper in mappers:
        if mapper.kind not in (AUDIENCE_MAPPER, ATTRIBUTE_MAPPER):
            logger.warning(
                "client %s: protocol mapper %s is ignored by the dev IdP", rep["clientId"], mapper.kind
            )
    return Client(
        client_id=str(rep["clientId"]),
        enabled=bool(rep.get("enabled", True)),
        public=bool(rep.get("publicClient", False)),
        secret=rep.get("secret"),
        standard_flow=bool(rep.get("standardFlowEnabled", True)),
        direct_access_grants=bool(rep.get("directAccessGrantsEnabled", False)),
        service_accounts=bool(rep.get("serviceAccountsEnabled", False)),
        redirect_uris=redirects,
        post_logout_redirect_uris=post_logout,
        pkce_method=attributes.get("pkce.code.challenge.method") or None,
        mappers=mappers,
    )


def _user(rep: Mapping[str, Any]) -> User:
    username = str(rep["username"]).lower()
    passwords = [c for c in rep.get("credentials") or [] if c.get("type") == "password"]
    password = passwords[0].get("value") if passwords else None
    if passwords and password is None:
        logger.warning("user %s: only a hashed password in the file; the dev IdP cannot check it", username)
    return User(
        # Keycloak keeps the id of the file; without one it makes up a random id, we a stable one.
        id=str(rep.get("id") or uuid.uuid5(uuid.NAMESPACE_URL, f"urn:hawkari:user:{username}")),
        username=username,
        enabled=bool(rep.get("enabled", True)),
        first_name=rep.get("firstName"),
        last_name=rep.get("lastName"),
        email=rep.get("email"),
        email_verified=bool(rep.get("emailVerified", False)),
        attributes={k: tuple(str(v) for v in vs) for k, vs in (rep.get("attributes") or {}).items()},
        realm_roles=frozenset(rep.get("realmRoles") or ()),
        password=password,
        service_account_client_id=rep.get("serviceAccountClientId"),
    )


def _check(name: str, roles: frozenset[str], clients: Mapping[str, Client], users: list[User]) -> None:
    """Refuse what Keycloak's import would refuse, so the dev IdP cannot drift from it silently."""
    seen: set[str] = set()
    for user in users:
        if user.username in seen:
            raise ValueError(f"realm {name}: user {user.username} is defined twice")
        seen.add(user.username)
        unknown = user.realm_roles - roles - {f"default-roles-{name}", "offline_access", "uma_authorization"}
        if unknown:
            raise ValueError(f"realm {name}: user {user.username} has undefined roles {sorted(unknown)}")
        if user.service_account_client_id and user.service_account_client_id not in clients:
            raise ValueError(f"realm {name}: {user.username} is the service account of an unknown client")


def _matches(uri: str, patterns: tuple[str, ...]) -> bool:
    """Keycloak's redirect URI rule: exact match, or a prefix match for a pattern ending in '*'."""
    for pattern in patterns:
        if pattern.endswith("*") and uri.startswith(pattern[:-1]):
            return True
        if uri == pattern:
            return True
    return False
