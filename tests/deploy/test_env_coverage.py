"""Every environment variable a service reads is in the compose file, the manifests and the docs.

Services are discovered generically: every ``services/*/settings.py`` settings class, so a new
service (or a new setting) fails here until the deployment files name it. Run
`uv run --frozen hawkari config docs` to regenerate the reference and the env files; the wired
variables (database, NATS, identity provider, service URLs, secrets) must be added by hand to
docker-compose.yml and deploy/k8s.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from hawkari.configdoc import Variable, all_variables, env_file_paths
from tests.deploy.kustomize import build

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = all_variables()
VARIABLES = [v for found in CATALOGUE.values() for v in found]


def ids(var: Variable) -> str:
    return var.env


def listed(path: Path, name: str) -> bool:
    """Set or listed commented out (``# NAME=default``) in an env file."""
    return bool(re.search(rf"^(# )?{re.escape(name)}=", path.read_text(), re.MULTILINE))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


@pytest.fixture(scope="module")
def overlays() -> dict[str, list[dict[str, Any]]]:
    return {o: build(REPO / "deploy" / "k8s" / "overlays" / o) for o in ("development", "production")}


def test_services_are_discovered_from_their_settings_files() -> None:
    found = {p.parent.name for p in (REPO / "services").glob("*/settings.py")}
    assert set(CATALOGUE) == found
    assert {"registry", "referrals", "notifications", "coordination"} <= found


@pytest.mark.parametrize("var", VARIABLES, ids=ids)
def test_in_docker_compose(compose: dict[str, Any], var: Variable) -> None:
    service = compose["services"].get(var.service)
    assert service is not None, f"docker-compose.yml has no service {var.service}"
    environment = service.get("environment", {})
    env_files = [REPO / f for f in service.get("env_file", [])]
    if var.wired:
        assert var.env in environment, f"{var.env} is wired: set it in docker-compose.yml"
    else:
        assert var.env in environment or any(listed(f, var.env) for f in env_files), (
            f"{var.env} is in neither the environment nor the env_file of {var.service}"
        )


@pytest.mark.parametrize("var", VARIABLES, ids=ids)
def test_in_the_kubernetes_manifests(overlays: dict[str, list[dict[str, Any]]], var: Variable) -> None:
    settings_env = env_file_paths(var.service)[1]
    for overlay, objects in overlays.items():
        config_maps = {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}
        deployment = next(
            (o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == var.service), None
        )
        assert deployment is not None, f"{overlay}: no Deployment {var.service}"
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        names = {e["name"] for e in container.get("env", [])}
        for source in container.get("envFrom", []):
            names |= set(config_maps[source["configMapRef"]["name"]])
        if var.wired:
            assert var.env in names, (
                f"{overlay}: {var.env} is wired but the {var.service} Deployment does not set it"
            )
        else:
            assert var.env in names or listed(settings_env, var.env), f"{overlay}: {var.env} is nowhere"


@pytest.mark.parametrize("var", VARIABLES, ids=ids)
def test_in_the_operations_guide(var: Variable) -> None:
    assert f"`{var.env}`" in (REPO / "docs" / "operations.md").read_text()


def test_the_telemetry_endpoint_is_set_everywhere(
    compose: dict[str, Any], overlays: dict[str, list[dict[str, Any]]]
) -> None:
    # Read by shared/telemetry.py, outside the settings classes.
    name = "OTEL_EXPORTER_OTLP_ENDPOINT"
    for service in CATALOGUE:
        assert name in compose["services"][service]["environment"]
    for objects in overlays.values():
        wiring = next(
            o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "hawkari-wiring"
        )
        assert wiring["data"][name].endswith(":4318")
    assert f"`{name}`" in (REPO / "docs" / "operations.md").read_text()
