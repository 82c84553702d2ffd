"""The realm files are what Keycloak imports: their layout, their contents and their safety."""

from __future__ import annotations

import copy
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from deploy.devidp.realm import load_realm
from shared.auth import Role
from shared.settings import is_placeholder

KEYCLOAK = Path(__file__).resolve().parents[2] / "deploy" / "keycloak"
PRODUCTION = KEYCLOAK / "hawkari-realm.json"
DEV_REALM = KEYCLOAK / "dev" / "hawkari-realm.json"
DEV_USERS = KEYCLOAK / "dev" / "hawkari-users-0.json"
SERVICES = ["hawkari-registry", "hawkari-referrals", "hawkari-notifications", "hawkari-coordination"]
EXPECTED_USERS = {
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


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def clients(realm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["clientId"]: c for c in realm["clients"]}


def test_layout_is_keycloaks_directory_import() -> None:
    # kc.sh --import-realm reads <realm>-realm.json and <realm>-users-<n>.json from one directory.
    assert read(PRODUCTION)["realm"] == read(DEV_REALM)["realm"] == read(DEV_USERS)["realm"] == "hawkari"
    assert re.fullmatch(r"hawkari-users-[0-9]+\.json", DEV_USERS.name)
    assert sorted(p.name for p in KEYCLOAK.glob("*.json")) == ["hawkari-realm.json"], (
        "production dir: realm only"
    )


def test_production_realm_has_no_people_no_secrets_no_cli() -> None:
    realm = read(PRODUCTION)
    assert all(u.get("serviceAccountClientId") for u in realm.get("users", [])), "only service accounts"
    assert not any("credentials" in u for u in realm.get("users", []))
    assert not any("secret" in c for c in realm["clients"]), "Keycloak generates secrets in production"
    assert "hawkari-cli" not in clients(realm)
    assert not any(c.get("directAccessGrantsEnabled") for c in realm["clients"])


def test_roles_match_shared_auth() -> None:
    names = {r["name"] for r in read(PRODUCTION)["roles"]["realm"]}
    assert names == {role.value for role in Role}


def test_portal_is_confidential_code_flow_with_s256() -> None:
    portal = clients(read(PRODUCTION))["hawkari-portal"]
    assert portal["publicClient"] is False and portal["standardFlowEnabled"] is True
    assert portal["attributes"]["pkce.code.challenge.method"] == "S256"
    assert portal["redirectUris"] == ["http://127.0.0.1:8000/*"]
    assert portal["serviceAccountsEnabled"] is True and portal["implicitFlowEnabled"] is False


@pytest.mark.parametrize("client_id", SERVICES)
def test_service_clients_only_do_client_credentials(client_id: str) -> None:
    client = clients(read(PRODUCTION))[client_id]
    assert client["publicClient"] is False and client["serviceAccountsEnabled"] is True
    assert not client["standardFlowEnabled"] and not client["directAccessGrantsEnabled"]


def test_every_client_maps_org_id_and_the_api_audience() -> None:
    for client in read(DEV_REALM)["clients"]:
        mappers = {m["protocolMapper"]: m["config"] for m in client["protocolMappers"]}
        attribute = mappers["oidc-usermodel-attribute-mapper"]
        assert (attribute["user.attribute"], attribute["claim.name"], attribute["access.token.claim"]) == (
            "org_id",
            "org_id",
            "true",
        )
        audience = mappers["oidc-audience-mapper"]
        assert (audience["included.custom.audience"], audience["access.token.claim"]) == (
            "hawkari-api",
            "true",
        )


def test_service_accounts_carry_the_service_role() -> None:
    users = {u["serviceAccountClientId"]: u for u in read(PRODUCTION)["users"]}
    assert set(users) == {*SERVICES, "hawkari-portal"}
    assert all(u["realmRoles"] == ["service"] for u in users.values())


def test_users_cannot_change_their_own_org_id() -> None:
    component = read(PRODUCTION)["components"]["org.keycloak.userprofile.UserProfileProvider"][0]
    profile = json.loads(component["config"]["kc.user.profile.config"][0])
    org = next(a for a in profile["attributes"] if a["name"] == "org_id")
    assert org["permissions"]["edit"] == ["admin"]


def test_dev_realm_is_production_plus_cli_and_dev_secrets() -> None:
    # The two files are kept by hand; this keeps them from drifting apart.
    dev = copy.deepcopy(read(DEV_REALM))
    cli = clients(dev)["hawkari-cli"]
    assert cli["publicClient"] is True and cli["directAccessGrantsEnabled"] is True
    assert not cli["standardFlowEnabled"] and not cli["serviceAccountsEnabled"]
    dev["clients"] = [c for c in dev["clients"] if c["clientId"] != "hawkari-cli"]
    for client in dev["clients"]:
        assert client.pop("secret") == f"dev-{client['clientId']}-secret"
    assert dev == read(PRODUCTION)


def test_dev_secrets_count_as_placeholders() -> None:
    # shared.settings refuses placeholders in production, so a dev secret cannot leak into one.
    assert all(is_placeholder(c["secret"]) for c in read(DEV_REALM)["clients"] if "secret" in c)


def test_demo_users() -> None:
    users = {u["username"]: u for u in read(DEV_USERS)["users"]}
    assert set(users) == set(EXPECTED_USERS)
    for username, (role, slug) in EXPECTED_USERS.items():
        user = users[username]
        assert user["realmRoles"] == [role]
        assert user["attributes"]["org_id"] == [
            str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:" + slug))
        ]
        assert user["attributes"]["locale"][0] in {"en", "ar", "ckb"}
        assert user["email"] == f"{username}@demo.hawkari.invalid"
        assert user["firstName"] and user["lastName"] and user["enabled"]
        assert user["credentials"] == [{"type": "password", "value": "hawkari-demo", "temporary": False}]
        uuid.UUID(user["id"])


def test_dev_idp_loads_the_dev_import_set() -> None:
    realm = load_realm(DEV_REALM.parent)
    assert realm.name == "hawkari"
    assert {u.username for u in realm.users} >= set(EXPECTED_USERS)
    assert realm.clients["hawkari-portal"].pkce_method == "S256"
    assert realm.clients["hawkari-portal"].allows_redirect("http://127.0.0.1:8000/auth/callback")
    assert not realm.clients["hawkari-portal"].allows_redirect("http://127.0.0.1:8000.evil.example/")
